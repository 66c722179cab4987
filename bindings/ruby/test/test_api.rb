# frozen_string_literal: true

require_relative 'test_helper'
require 'timeout'

# Every API method and callback, errors inside callbacks, use after close.
class TestAPI < Minitest::Test
  include TestSupport

  def test_versions_and_abi
    refute_empty VWO.library_version
    assert_equal VWO::Native::ABI_MAJOR, VWO::Native.abi_version.first
    assert_same VWO::Client, VWOClient
  end

  def test_get_uuid
    assert_equal 'CC25A368ADA0542699EAD62489811105', VWO.get_uuid('user-123', '123456')
    assert_equal 'CC25A368ADA0542699EAD62489811105', VWO.get_uuid('user-123', 123_456)
    assert_nil VWO.get_uuid('', '123456')
    assert_nil VWO.get_uuid('u', nil)
  end

  def test_init_errors
    [
      [{ account_id: 1 }, 'SDK key'],
      [{ sdk_key: 'k' }, 'Account ID'],
      [{ sdk_key: 'k', account_id: 1, logger: { level: 'loud' } }, 'loud'],
      [{ sdk_key: 'k', account_id: 1, storage: Object.new }, 'storage'],
      [{ sdk_key: 'k', account_id: 1, integrations: { callback: 5 } }, 'callback'],
      [{ sdk_key: 'k', account_id: 1, settings: '{nope' }, 'settings'],
      [{ sdk_key: 'k', account_id: 1, offline: true }, 'offline']
    ].each do |opts, text|
      e = assert_raises(VWO::Error, opts.inspect) { VWO.init(opts) }
      assert_includes e.message, text
    end
    assert_raises(VWO::Error) { VWO.init('not a hash') }
  end

  def test_string_keys_and_new
    c = VWO.new(example_options.transform_keys(&:to_s))
    assert c.get_flag('new_checkout', { 'id' => 'alice' }).is_enabled
    c.close
  end

  def test_get_flag
    c = new_client
    ctx = { id: 'alice', sessionId: 1_700_000_001, customVariables: { country: 'US', plan: 'free' } }
    f = c.get_flag('new_checkout', ctx)
    assert f.is_enabled
    assert f.enabled?
    assert_equal VWO.get_uuid('alice', '123456'), f.get_uuid
    assert_equal 1_700_000_001, f.get_session_id
    assert_equal :evaluated, f.reason
    vars = f.get_variables
    assert_equal 5, vars.size
    assert(vars.all? { |v| v.is_a?(VWO::VariableModel) && v.id.is_a?(Integer) })
    by_key = vars.to_h { |v| [v.key, v] }
    assert_kind_of String, by_key['title'].value
    assert_equal 'string', by_key['title'].get_type
    assert_kind_of Integer, by_key['discount_percent'].value
    assert_kind_of Hash, by_key['layout'].value
    assert_includes [true, false], by_key['show_banner'].value
    assert_equal by_key['title'].value, f.get_variable('title', 'x')
    assert_equal 'dflt', f.get_variable('missing', 'dflt')
    assert_nil f.get_variable('missing')

    f = c.get_flag('no_such_flag', { id: 'alice' })
    refute f.is_enabled
    assert_equal :feature_not_found, f.reason
    assert_equal [], f.get_variables

    # Bad input: a disabled flag, an error logged, nothing raised.
    logs = LogCollector.new('ERROR')
    c2 = new_client(logger: { level: 'error', transport: logs })
    [nil, {}, { id: '' }, 'alice'].each do |bad|
      g = c2.get_flag('new_checkout', bad)
      refute g.is_enabled
      refute_nil g.error
    end
    refute c2.get_flag("new\0checkout", { id: 'a' }).is_enabled
    assert logs.include?('get_flag')
    g = c2.get_flag('new_checkout', { id: 'x', customVariables: { b: 'x' * (2 << 20) } })
    refute g.is_enabled
  end

  def test_track_event_and_set_attribute
    payloads = []
    c = new_client(integrations: { callback: ->(p) { payloads << p } })
    ctx = { id: 'bob', userAgent: 'curl/8', ipAddress: '127.0.0.1' }
    r = c.track_event('purchase', ctx, { revenue: 12.5, currency: 'EUR' })
    assert_equal({ 'purchase' => true }, r)
    assert_equal true, r[:event_name], 'the official SDK\'s literal :event_name key still answers'
    assert_equal true, c.track_event('purchase', ctx)['purchase']
    assert_equal true, c.track_event(:purchase, ctx, nil)['purchase']
    assert_equal({ event_name: 'purchase', api: 'trackEvent' }, payloads.last)
    r = c.track_event('not_a_metric', ctx)
    assert_equal({ 'not_a_metric' => false }, r)
    assert_equal({ 'purchase' => false }, c.track_event('purchase', nil))

    assert_nil c.set_attribute({ plan: 'pro', seats: 3, trial: false, score: 1.5 }, ctx)
    assert_nil c.set_attribute({}, ctx)
    assert_nil c.set_attribute({ plan: 'pro' }, {})
    assert_equal({ status: 'success' }, c.flush_events)
  end

  def test_update_settings
    c = new_client
    ctx = { id: 'alice' }
    before = c.get_flag('new_checkout', ctx).is_enabled
    settings = JSON.parse(example_settings)
    assert_nil c.update_settings(settings)
    assert_nil c.update_settings(example_settings, false)
    c.update_settings(settings.merge('features' => []))
    assert_equal :feature_not_found, c.get_flag('new_checkout', ctx).reason
    logs = LogCollector.new('ERROR')
    c2 = new_client(logger: { transport: logs })
    c2.update_settings('{"features": 5}')
    assert logs.include?('update_settings'), logs.lines.inspect
    assert c2.get_flag('new_checkout', ctx).is_enabled, 'invalid settings replaced the current ones'
    c2.update_settings # offline: nothing to fetch from; logged
    assert_equal before, c.tap { |x| x.update_settings(settings) }.get_flag('new_checkout', ctx).is_enabled
  end

  def test_use_after_close
    logs = LogCollector.new('ERROR')
    c = VWO.init(example_options(logger: { transport: logs }))
    ctx = { id: 'alice', sessionId: 1_700_000_009 }
    assert c.get_flag('new_checkout', ctx).is_enabled
    assert_equal true, c.close
    assert_equal true, c.close
    assert c.closed?
    f = c.get_flag('new_checkout', ctx)
    refute f.is_enabled
    assert_equal 1_700_000_009, f.get_session_id
    assert_includes f.error, 'closed'
    assert_equal({ 'purchase' => false }, c.track_event('purchase', ctx))
    assert_nil c.set_attribute({ a: 1 }, ctx)
    assert_nil c.flush_events
    assert_nil c.update_settings(JSON.parse(example_settings))
    assert logs.include?('closed'), logs.lines.inspect
  end

  # Storage records use snake_case Symbol keys both ways, as the official Ruby SDK.
  def test_storage_callback
    s = RecStorage.new
    c = new_client(storage: s)
    ctx = { id: 'carol' }
    first = c.get_flag('new_checkout', ctx)
    reads, writes = s.take_log
    refute_empty reads
    assert_equal 1, writes.size
    w = writes.first
    assert_equal 'new_checkout', w[:feature_key]
    assert_equal 'carol', w[:user_id]
    assert_kind_of Integer, w[:rollout_id]
    assert(w.keys.all? { |k| k.is_a?(Symbol) && k == k.downcase })
    second = c.get_flag('new_checkout', ctx)
    assert_equal :stored_experiment, second.reason
    assert_equal first.get_variables, second.get_variables
    # A record with camelCase String keys is accepted too.
    camel = Class.new do
      def initialize(store)
        @s = store
      end

      def get(key, user)
        rec = @s.get(key, user)
        rec && VWO::Keys.camel_hash(rec)
      end

      def set(data)
        @s.set(data)
      end
    end
    assert_equal :stored_experiment, new_client(storage: camel.new(s)).get_flag('new_checkout', ctx).reason
  end

  class FailingStorage
    def initialize(mode)
      @mode = mode
    end

    def get(_key, _user)
      raise 'storage get exploded' if @mode == :raise

      'not json'
    end

    def set(_data)
      raise 'storage set exploded'
    end
  end

  def test_callback_errors
    %i[raise bad_value].each do |mode|
      logs = LogCollector.new('ERROR')
      c = new_client(storage: FailingStorage.new(mode), logger: { level: 'error', transport: logs },
                     integrations: { callback: ->(_p) { raise 'integration exploded' } })
      f = c.get_flag('new_checkout', { id: 'dave' })
      assert f.is_enabled, 'the decision survives failing callbacks'
      expected = ['storage set raised RuntimeError: storage set exploded',
                  'integrations callback raised RuntimeError: integration exploded']
      expected << 'storage get("new_checkout", "dave") raised RuntimeError: storage get exploded' if mode == :raise
      expected.each { |t| assert logs.include?(t), "#{mode}: log lacks #{t.inspect}: #{logs.lines.inspect}" }
    end
  end

  class PerLevelTransport
    attr_reader :lines

    def initialize
      @lines = []
    end

    def level
      'INFO'
    end

    def error(line)
      @lines << line
    end

    def info(line)
      @lines << line
    end
  end

  class RaisingTransport
    def level
      'ERROR'
    end

    def log(_level, _message)
      raise 'transport exploded'
    end
  end

  def test_logger_transports
    raw = LogCollector.new('WARN')
    debug = LogCollector.new('DEBUG')
    per = PerLevelTransport.new
    hash_lines = []
    c = new_client(logger: { level: :warn, prefix: 'MY-PREFIX',
                             transports: [raw, debug, per, RaisingTransport.new,
                                          { level: 'error', log: ->(l, m) { hash_lines << "#{l}: #{m}" } }] })
    _, err = capture_io do
      c.get_flag('no_such_flag', { id: 'erin' })
      c.get_flag('new_checkout', { id: 'erin' })
    end
    assert raw.include?('ERROR: '), raw.lines.inspect
    refute raw.include?('DEBUG: ')
    assert debug.include?('INFO: '), 'upper-case levels, as the official Ruby SDK'
    refute raw.include?('INFO: '), 'per-transport level'
    assert per.lines.any? { |l| l.include?('[ERROR]: MY-PREFIX') }, per.lines.inspect
    refute_empty hash_lines
    assert_includes err, 'transport exploded'
    refute(debug.lines.any? { |l| l.include?(SDK_KEY) }, 'the SDK key reached a transport')
  end

  # Settings fetched at init, batching, the flush callback from a library thread, logs from
  # library threads, update_settings fetching again: against a loopback server.
  def test_network_flush_callback_and_library_threads
    mock = MockVWO.new(example_settings)
    flushes = Queue.new
    logs = LogCollector.new('DEBUG')
    c = VWO.init(sdk_key: SDK_KEY, account_id: '123456', proxy_url: mock.url,
                 retry_config: { should_retry: false }, logger: { level: 'debug', transport: logs },
                 batch_event_data: { events_per_request: 3, request_time_interval: 60,
                                     flush_callback: lambda { |error, payload|
                                       flushes << [error, payload]
                                     } })
    assert_equal 1, mock.count('/v2-settings')
    5.times { |i| assert c.get_flag('new_checkout', { id: "net-#{i}" }).is_enabled }
    assert_equal({ status: 'success' }, c.flush_events)
    total = 0
    Timeout.timeout(10) do
      while total < 5
        error, payload, = flushes.pop
        assert_nil error
        total += JSON.parse(payload).fetch('ev').size
      end
    end
    assert mock.count('/batch-events-v2').positive?
    assert logs.include?('sent to VWO'), 'delivery is logged by the library\'s event workers'

    flushes.pop until flushes.empty?
    mock.fail = true
    c.get_flag('new_checkout', { id: 'net-fail' })
    assert_equal({ status: 'error' }, c.flush_events)
    error = nil
    Timeout.timeout(10) { error, = flushes.pop while error.nil? }
    refute_nil error
    mock.fail = false

    c.update_settings
    c.update_settings(nil, false)
    assert_equal 1, mock.count('/v2-pull')
    assert_equal 2, mock.count('/v2-settings')
    c.close
  ensure
    mock&.close
  end

  def test_flush_callback_raising
    mock = MockVWO.new(example_settings)
    logs = LogCollector.new('ERROR')
    c = VWO.init(sdk_key: SDK_KEY, account_id: ACCOUNT_ID, proxy_url: mock.url, logger: { transport: logs },
                 batch_event_data: { flush_callback: ->(_e, _p) { raise 'flush exploded' } })
    c.get_flag('new_checkout', { id: 'fr' })
    assert_equal({ status: 'success' }, c.flush_events)
    deadline = Time.now + 10
    sleep 0.01 until logs.include?('flush callback raised RuntimeError: flush exploded') || Time.now > deadline
    assert logs.include?('flush callback raised RuntimeError: flush exploded'), logs.lines.inspect
    c.close
  ensure
    mock&.close
  end

  # A client that is never closed is freed by its finalizer (the AutoPointer releaser).
  def test_finalizer_frees_client
    before = VWO::Client.released
    make_garbage_clients
    deadline = Time.now + 10
    until VWO::Client.released > before || Time.now > deadline
      GC.start(full_mark: true, immediate_sweep: true)
      sleep 0.05
    end
    assert VWO::Client.released > before, 'no client was finalized'
  end

  def make_garbage_clients
    3.times { VWO.init(example_options(storage: RecStorage.new)).get_flag('new_checkout', { id: 'fin' }) }
    nil
  end
end
