# frozen_string_literal: true

require 'time'

module VWO
  # Delivers the library's log messages to the transports of the `logger:` option, as the
  # official SDK's transport manager does: `log(level, message)` (arity 2) with the
  # upper-case level and the raw message, else a per-level method (`info(line)`, ...) with
  # the formatted line. A Hash transport `{ level:, log: ->(level, message) {} }` works too.
  # A transport that raises is reported on $stderr and never reaches the library.
  class LogDispatcher
    LEVELS = %w[TRACE DEBUG INFO WARN ERROR].freeze
    METHODS = %i[trace debug info warn error].freeze

    attr_reader :level, :sinks

    # Level name (String or Symbol, any case; "warning" is "warn") -> 0..4, or nil.
    def self.parse_level(name)
      return nil if name.nil?

      s = name.to_s.strip.downcase
      s = 'warn' if s == 'warning'
      METHODS.index(s.to_sym)
    end

    def initialize(prefix: 'VWO-SDK', level: 4, transports: [])
      @prefix = prefix
      @level = level
      @sinks = transports.map { |t| [transport_level(t) || level, t] }
    end

    def any?
      !@sinks.empty?
    end

    def min_level
      @sinks.map(&:first).min || @level
    end

    def format(level, message)
      "[#{LEVELS[level] || 'ERROR'}]: #{@prefix} #{Time.now.utc.iso8601(3)} #{message}"
    end

    # A message from the library (already filtered by the library at min_level).
    def dispatch(level, message)
      @sinks.each do |min, t|
        next if level < min

        deliver(t, level, message)
      end
    end

    # A message of the binding itself (a failing callback, a closed client, ...).
    def log(level, message)
      return if level < @level && @sinks.none? { |min, _| level >= min }

      if any?
        dispatch(level, message)
      else
        $stdout.puts(format(level, message))
      end
    end

    def error(message)
      log(4, message)
    end

    private

    def transport_level(t)
      raw = if t.is_a?(Hash)
              t[:level] || t['level']
            elsif t.respond_to?(:level)
              t.level
            end
      self.class.parse_level(raw)
    end

    def deliver(t, level, message)
      if t.is_a?(Hash)
        fn = t[:log] || t['log']
        if fn
          fn.call(LEVELS[level], message)
        else
          per = t[METHODS[level]] || t[METHODS[level].to_s]
          per&.call(format(level, message))
        end
      elsif t.respond_to?(:log) && t.method(:log).arity == 2
        t.log(LEVELS[level], message)
      elsif t.respond_to?(METHODS[level])
        t.public_send(METHODS[level], format(level, message))
      else
        $stdout.puts(format(level, message))
      end
    rescue Exception => e # rubocop:disable Lint/RescueException -- never unwind into C
      warn("#{format(4, "log transport raised #{e.class}: #{e.message}")}")
    end
  end
end
