# frozen_string_literal: true

$LOAD_PATH.unshift(File.expand_path('../lib', __dir__))
require 'minitest/autorun'
require 'json'
require 'zlib'
require 'socket'
require 'vwo_fme'

module TestSupport
  ROOT = File.expand_path('../../..', __dir__)
  EXAMPLE_SETTINGS = File.join(ROOT, 'examples', 'settings.json')
  FIXTURES = File.join(ROOT, 'tests', 'fixtures', 'conformance')
  SDK_KEY = 'demo0000000000000000000000000000'
  ACCOUNT_ID = 123_456

  def example_settings
    @example_settings ||= File.read(EXAMPLE_SETTINGS)
  end

  # Discards library logs (tests that look at logs configure their own transport).
  QUIET = { transport: { level: 'error', log: ->(_level, _message) {} } }.freeze

  def example_options(extra = {})
    { sdk_key: SDK_KEY, account_id: ACCOUNT_ID, settings: JSON.parse(example_settings), offline: true,
      logger: QUIET }.merge(extra)
  end

  def new_client(extra = {})
    c = VWO.init(example_options(extra))
    (@clients ||= []) << c
    c
  end

  def teardown
    (@clients || []).each(&:close)
    super
  end

  # A storage connector keeping snake_case Symbol records (as the official SDK's examples),
  # logging reads and writes.
  class RecStorage
    attr_reader :data

    def initialize
      @data = {}
      @reads = []
      @writes = []
      @lock = Mutex.new
    end

    def get(feature_key, user_id)
      @lock.synchronize do
        rec = @data[[feature_key, user_id]]
        @reads << { 'key' => feature_key, 'user_id' => user_id, 'found' => !rec.nil? }
        rec
      end
    end

    def set(data)
      @lock.synchronize do
        @data[[data[:feature_key].to_s, data[:user_id].to_s]] = data
        @writes << data
      end
    end

    def take_log
      @lock.synchronize do
        r = @reads
        w = @writes
        @reads = []
        @writes = []
        [r, w]
      end
    end

    def dump
      @data.keys.sort.map { |k| { 'key' => k[0], 'user_id' => k[1], 'value' => VWO::Keys.camel_hash(@data[k]) } }
    end
  end

  # A log transport (official shape: level + log(level, message)).
  class LogCollector
    attr_reader :level

    def initialize(level = 'DEBUG')
      @level = level
      @lines = []
      @lock = Mutex.new
    end

    def log(level, message)
      @lock.synchronize { @lines << "#{level}: #{message}" }
    end

    def lines
      @lock.synchronize { @lines.dup }
    end

    def include?(text)
      lines.any? { |l| l.include?(text) }
    end
  end

  # A loopback stand-in for VWO (127.0.0.1 only): settings for GET .../v2-settings and
  # .../v2-pull, 200 (or 400 when failing) for everything else.
  class MockVWO
    attr_reader :paths
    attr_accessor :fail

    def initialize(settings)
      @settings = settings
      @server = TCPServer.new('127.0.0.1', 0)
      @paths = []
      @bodies = []
      @lock = Mutex.new
      @fail = false
      @thread = Thread.new { serve }
    end

    def url
      "http://127.0.0.1:#{@server.addr[1]}"
    end

    def count(suffix)
      @lock.synchronize { @paths.count { |p| p.end_with?(suffix) } }
    end

    # [visId, event name] of every event received: single events (body { d: ... }) and
    # batches (body { ev: [{ d: ... }, ...] }).
    def events
      bodies = @lock.synchronize { @bodies.dup }
      bodies.flat_map do |b|
        doc = begin
          JSON.parse(b)
        rescue JSON::ParserError
          nil
        end
        next [] unless doc.is_a?(Hash)

        (doc['ev'].is_a?(Array) ? doc['ev'] : [doc]).filter_map do |e|
          d = e.is_a?(Hash) ? e['d'] : nil
          [d['visId'], d['event']['name']] if d.is_a?(Hash) && d['visId']
        end
      end
    end

    def close
      @thread.kill
      @server.close
    end

    private

    def serve
      loop do
        sock = @server.accept
        Thread.new(sock) { |s| handle(s) }
      end
    rescue IOError, Errno::EBADF
      nil
    end

    def handle(sock)
      loop do
        line = sock.gets
        break if line.nil?

        _method, target, = line.split(' ')
        headers = {}
        while (h = sock.gets) && h != "\r\n"
          k, v = h.split(':', 2)
          headers[k.strip.downcase] = v.strip
        end
        len = headers['content-length'].to_i
        body = len.positive? ? sock.read(len) : ''
        path = target.split('?').first
        @lock.synchronize do
          @paths << path
          @bodies << body
        end
        status, body = if path.end_with?('/v2-settings', '/v2-pull')
                         [200, @settings]
                       elsif @fail
                         [400, '{}']
                       else
                         [200, '{}']
                       end
        sock.write("HTTP/1.1 #{status} X\r\nContent-Type: application/json\r\nContent-Length: #{body.bytesize}\r\n\r\n#{body}")
      end
    rescue StandardError
      nil
    ensure
      sock.close
    end
  end

  def rss_kb
    File.foreach('/proc/self/status') { |l| return l.split[1].to_i if l.start_with?('VmRSS:') }
    0
  end
end
