# frozen_string_literal: true

require 'json'

module VWO
  # A client of one VWO account and environment, with the official Ruby SDK's methods.
  # Like the official SDK, the methods never raise: a failure is logged (through the
  # `logger:` transports) and the method returns its fallback (a disabled flag,
  # `{ name => false }`, nil). All methods are thread-safe.
  #
  # Release it with #close; a finalizer frees the native client of one that was never
  # closed, and an at_exit hook closes every live client before the interpreter stops.
  class Client
    # How long flush_events waits for delivery, in milliseconds.
    FLUSH_TIMEOUT_MS = 10_000

    LIVE = ObjectSpace::WeakMap.new
    LIVE_LOCK = Mutex.new

    at_exit do
      clients = LIVE_LOCK.synchronize { LIVE.keys }
      clients.each(&:close)
    end

    # The releaser of the native handle: keeps the callback functions alive until the
    # library no longer calls them. Built here, so it captures no Client.
    def self.releaser(keep)
      proc do |ptr|
        Native.vwo_client_free(ptr)
        keep&.clear
        Client.instance_variable_set(:@released, Client.released + 1)
      end
    end

    @released = 0

    # How many native clients the finalizer released (for tests).
    def self.released
      @released
    end

    attr_reader :options

    # Use VWO.init.
    def initialize(options)
      @options = options
      opts = Options.new(options)
      @logger = opts.logger
      out = FFI::MemoryPointer.new(:pointer)
      status = Native.vwo_client_new(opts.json, opts.callbacks_struct, out)
      raise Error.new(Native.last_error, Native.status_name(status)) unless status == Native::OK

      @ptr = FFI::AutoPointer.new(out.read_pointer, self.class.releaser(opts.keep))
      @closed = false
      LIVE_LOCK.synchronize { LIVE[self] = true }
    end

    # Decides feature_key for the user in context (`{ id:, customVariables:, userAgent:,
    # ipAddress:, sessionId:, bucketingSeed: }`, camelCase Symbol keys as the official SDK;
    # snake_case and String keys work too). Returns a GetFlagResponse (disabled on error).
    def get_flag(feature_key, context)
      ctx = encode_context(context)
      out = scratch
      status = Native.vwo_get_flag(@ptr, feature_key.to_s, ctx, out)
      err = status == Native::OK ? nil : Native.last_error
      f = out.read_pointer
      begin
        enabled = Native.vwo_flag_is_enabled(f) == 1
        reason = GetFlagResponse::REASONS[Native.vwo_flag_reason(f)] || :error
        session_id = Native.vwo_flag_session_id(f)
        u = Native.vwo_flag_uuid(f)
        uuid = u.null? ? nil : u.read_string.force_encoding(Encoding::UTF_8)
        # A disabled flag has no variables (and serializing them is the costly part).
        vars = enabled && Native.vwo_flag_variables_json(f, out) == Native::OK ? Native.take_string(out) : nil
      ensure
        Native.vwo_flag_free(f)
      end
      @logger.error("get_flag(#{feature_key.inspect}): #{err}") if err
      GetFlagResponse.new(enabled, vars, uuid, session_id, reason: reason, error: err)
    rescue StandardError => e
      @logger.error("get_flag(#{feature_key.inspect}) failed: #{e.class}: #{e.message}")
      GetFlagResponse.disabled(context, e.message)
    end

    # Tracks event_name for the user in context, with optional properties. Returns
    # `{ event_name_string => tracked }`: keyed by the event's name, as the Python, Node and Go
    # SDKs (the official Ruby SDK keys it by the literal Symbol :event_name, a bug); the Hash
    # also answers `[:event_name]` so that code written for the official SDK keeps working.
    def track_event(event_name, context, event_properties = {})
      name = event_name.to_s
      ctx = encode_context(context)
      props = event_properties.nil? || event_properties.empty? ? nil : JSON.generate(event_properties)
      out = scratch
      status = Native.vwo_track_event(@ptr, name, ctx, props, out)
      tracked = out.read_int32 == 1
      @logger.error("track_event(#{name.inspect}): #{Native.last_error}") unless status == Native::OK
      track_result(name, tracked)
    rescue StandardError => e
      @logger.error("track_event(#{event_name.inspect}) failed: #{e.class}: #{e.message}")
      track_result(event_name.to_s, false)
    end

    # Sends visitor attributes (a non-empty Hash of strings, numbers and booleans) for the
    # user in context. Returns nil.
    def set_attribute(attributes, context = nil)
      raise ArgumentError, 'attributes must be a non-empty Hash' unless attributes.is_a?(Hash) && !attributes.empty?

      status = Native.vwo_set_attributes(@ptr, JSON.generate(attributes), encode_context(context))
      @logger.error("set_attribute: #{Native.last_error}") unless status == Native::OK
      nil
    rescue StandardError => e
      @logger.error("set_attribute failed: #{e.class}: #{e.message}")
      nil
    end

    # Sends the queued events and waits (up to FLUSH_TIMEOUT_MS) for every pending event.
    # Returns `{ status: 'success' }` when all were delivered, `{ status: 'error' }` otherwise
    # (the flush callback says which events failed), nil when the call failed.
    def flush_events
      out = scratch
      status = Native.vwo_flush_events(@ptr, FLUSH_TIMEOUT_MS, out)
      unless status == Native::OK
        @logger.error("flush_events: #{Native.last_error}")
        return nil
      end
      { status: out.read_int32 == 1 ? 'success' : 'error' }
    rescue StandardError => e
      @logger.error("flush_events failed: #{e.class}: #{e.message}")
      nil
    end

    # Installs new settings (a Hash or JSON text), or fetches them from VWO when settings is
    # nil or empty (/v2-pull when is_via_webhook, else /v2-settings). On failure the current
    # settings stay and the error is logged. Returns nil.
    def update_settings(settings = nil, is_via_webhook = true) # rubocop:disable Style/OptionalBooleanParameter
      text = case settings
             when nil then nil
             when String then settings.empty? ? nil : settings
             when Hash then settings.empty? ? nil : JSON.generate(settings)
             else raise ArgumentError, "settings must be a Hash or a String, got #{settings.class}"
             end
      status = Native.vwo_update_settings(@ptr, text, is_via_webhook ? 1 : 0)
      @logger.error("update_settings: #{Native.last_error}") unless status == Native::OK
      nil
    rescue StandardError => e
      @logger.error("update_settings failed: #{e.class}: #{e.message}")
      nil
    end

    # Stops polling, delivers pending events (within the library's shutdown timeout; the
    # rest go to the flush callback) and stops the library's threads. Later calls log an
    # error and return their fallback. Idempotent; returns whether every pending event was
    # delivered.
    def close
      return @delivered_all if @closed

      out = FFI::MemoryPointer.new(:int32)
      Native.vwo_client_close(@ptr, out)
      @delivered_all = out.read_int32 == 1
      @closed = true
      LIVE_LOCK.synchronize { LIVE.delete(self) if LIVE.respond_to?(:delete) }
      @delivered_all
    end

    def closed?
      @closed
    end

    private

    def scratch
      Thread.current[:__vwo_fme_scratch] ||= FFI::MemoryPointer.new(:pointer)
    end

    # As in the official SDK, a context is a Hash with a non-empty :id.
    def encode_context(context)
      raise ArgumentError, "context must be a Hash, got #{context.class}" unless context.is_a?(Hash)

      id = context.fetch(:id) { context['id'] }
      raise ArgumentError, 'invalid context: no id' if id.nil? || id.to_s.empty?

      JSON.generate(context)
    end

    def track_result(name, tracked)
      h = { name => tracked }
      h.default_proc = proc { |hash, key| key == :event_name ? hash[name] : nil }
      h
    end
  end
end
