# frozen_string_literal: true

require 'json'

module VWO
  # Splits the official Ruby SDK's options (Symbol snake_case keys; String keys work too)
  # into the library's options JSON and the callbacks that cannot travel in JSON, and builds
  # the vwo_callbacks struct.
  class Options
    IGNORED = %w[is_via_vwo vwo_builder wingify_builder network segmentation].freeze

    attr_reader :json, :logger, :callbacks_struct, :keep, :account_id

    def initialize(options)
      raise Error.new("options must be a Hash, got #{options.class}", 'VWO_ERR_INVALID_ARGUMENT') unless options.is_a?(Hash)

      @storage = nil
      @integration = nil
      @flush = nil
      out = {}
      logger_opts = {}
      options.each do |k, v|
        key = k.to_s
        next if v.nil? || IGNORED.include?(key)

        case key
        when 'storage' then @storage = v
        when 'integrations' then @integration = hash_get(v, :callback)
        when 'logger'
          raise Error.new('logger must be a Hash', 'VWO_ERR_INVALID_ARGUMENT') unless v.is_a?(Hash)

          logger_opts = v
        when 'batch_event_data'
          raise Error.new('batch_event_data must be a Hash', 'VWO_ERR_INVALID_ARGUMENT') unless v.is_a?(Hash)

          rest = {}
          v.each do |bk, bv|
            if bk.to_s == 'flush_callback'
              @flush = bv
            else
              rest[bk.to_s] = bv
            end
          end
          out['batch_event_data'] = rest
        when 'threading'
          out['threading'] = threading(v, out)
        else
          out[key] = v
        end
      end
      @account_id = out['account_id'] || out['accountId']
      @logger = build_logger(logger_opts, out)
      check_callable(@integration, 'integrations[:callback]', 1)
      check_callable(@flush, 'batch_event_data[:flush_callback]', 2)
      if @storage && !(@storage.respond_to?(:get) && @storage.respond_to?(:set))
        raise Error.new('storage must respond to get(feature_key, user_id) and set(data)', 'VWO_ERR_INVALID_ARGUMENT')
      end

      @json = JSON.generate(out)
      build_callbacks
    end

    def callbacks?
      !@callbacks_struct.nil?
    end

    private

    def hash_get(h, key)
      return nil unless h.is_a?(Hash)

      h[key] || h[key.to_s]
    end

    def check_callable(f, what, _arity)
      return if f.nil? || f.respond_to?(:call)

      raise Error.new("#{what} must respond to call", 'VWO_ERR_INVALID_ARGUMENT')
    end

    # The official keys are enabled / max_pool_size / max_queue_size; the library's are
    # threading.enabled / threading.max_workers and max_queue_size.
    def threading(v, out)
      return v unless v.is_a?(Hash)

      t = {}
      v.each do |tk, tv|
        case tk.to_s
        when 'max_pool_size', 'max_workers' then t['max_workers'] = tv
        when 'max_queue_size' then out['max_queue_size'] = tv
        else t[tk.to_s] = tv
        end
      end
      t
    end

    def build_logger(opts, out)
      level_raw = hash_get(opts, :level)
      level = 4
      lj = {}
      unless level_raw.nil?
        level = LogDispatcher.parse_level(level_raw)
        raise Error.new("unknown logger level #{level_raw.inspect} (use trace, debug, info, warn or error)", 'VWO_ERR_INIT') if level.nil?

        lj['level'] = LogDispatcher::METHODS[level].to_s
      end
      prefix = hash_get(opts, :prefix)
      lj['prefix'] = prefix if prefix
      ansi = hash_get(opts, :is_ansi_color_enabled)
      lj['is_ansi_color_enabled'] = ansi unless ansi.nil?
      out['logger'] = lj unless lj.empty?

      transports = Array(hash_get(opts, :transports)).compact
      if transports.empty?
        t = hash_get(opts, :transport)
        transports = [t] if t
      end
      LogDispatcher.new(prefix: prefix || 'VWO-SDK', level: level, transports: transports)
    end

    def build_callbacks
      return if @storage.nil? && @integration.nil? && @flush.nil? && !@logger.any?

      cb = Native::Callbacks.new
      cb[:struct_size] = Native::Callbacks.size
      cb[:log_level] = -1
      @keep = []
      logger = @logger
      if @storage
        get = storage_get_function(@storage, logger)
        set = storage_set_function(@storage, logger)
        cb[:storage_get] = get
        cb[:storage_set] = set
        @keep << get << set
      end
      if logger.any?
        f = FFI::Function.new(:void, %i[pointer int32 string]) do |_ud, level, message|
          logger.dispatch(level, message.force_encoding(Encoding::UTF_8))
        rescue Exception => e # rubocop:disable Lint/RescueException -- never unwind into C
          warn("vwo_fme: log callback raised #{e.class}: #{e.message}")
        end
        cb[:log] = f
        cb[:log_level] = logger.min_level
        @keep << f
      end
      if @integration
        integration = @integration
        f = FFI::Function.new(:void, %i[pointer string]) do |_ud, props|
          integration.call(Keys.snake_hash(JSON.parse(props)))
        rescue Exception => e # rubocop:disable Lint/RescueException -- never unwind into C
          logger.error("integrations callback raised #{e.class}: #{e.message}")
        end
        cb[:integrations] = f
        @keep << f
      end
      if @flush
        flush = @flush
        f = FFI::Function.new(:void, %i[pointer string string]) do |_ud, error, events|
          # The official SDK passes the JSON text of the batch payload, { ev: [...] }.
          flush.call(error&.force_encoding(Encoding::UTF_8), "{\"ev\":#{events}}")
        rescue Exception => e # rubocop:disable Lint/RescueException -- never unwind into C
          logger.error("flush callback raised #{e.class}: #{e.message}")
        end
        cb[:flush] = f
        @keep << f
      end
      @callbacks_struct = cb
      @keep << cb
    end

    def storage_get_function(storage, logger)
      FFI::Function.new(:int32, %i[pointer string string pointer]) do |_ud, key, user_id, result|
        key.force_encoding(Encoding::UTF_8)
        user_id.force_encoding(Encoding::UTF_8)
        data = storage.get(key, user_id)
        if data.nil?
          0
        else
          json = data.is_a?(String) ? data : JSON.generate(Keys.camel_hash(data))
          Native.vwo_storage_result_set_json(result, json, json.bytesize).zero? ? 0 : 1
        end
      rescue Exception => e # rubocop:disable Lint/RescueException -- never unwind into C
        logger.error("storage get(#{key.inspect}, #{user_id.inspect}) raised #{e.class}: #{e.message}")
        Native.vwo_storage_result_set_error(result, "#{e.class}: #{e.message}")
        1
      end
    end

    def storage_set_function(storage, logger)
      FFI::Function.new(:int32, %i[pointer string]) do |_ud, record|
        storage.set(Keys.snake_hash(JSON.parse(record.force_encoding(Encoding::UTF_8))))
        0
      rescue Exception => e # rubocop:disable Lint/RescueException -- never unwind into C
        logger.error("storage set raised #{e.class}: #{e.message}")
        1
      end
    end
  end
end
