# frozen_string_literal: true

require_relative 'test_helper'

# Several Ruby threads share one client; each result must be the one for its own request.
# Callbacks from the library's own threads (logs of the event workers) reach Ruby meanwhile.
class TestThreads < Minitest::Test
  include TestSupport

  FEATURES = %w[new_checkout search_ranking homepage_hero pricing_page dark_mode recommendations_v2].freeze

  # A user's attributes are fixed (they decide the answer); the session id varies per call.
  def ctx_of(thread, i)
    u = i % 25
    { id: "t#{thread}-u#{u}", sessionId: 1_700_000_000 + thread * 100_000 + i,
      customVariables: { country: %w[US DE IN][(thread + u) % 3], beta: u.even?, app_version: '4.3.1' } }
  end

  def test_threads_get_their_own_results
    logs = LogCollector.new('DEBUG')
    storage = RecStorage.new
    c = new_client(storage: storage, logger: { level: 'debug', transport: logs })
    threads = 8
    iterations = 300
    expected = {}
    threads.times do |t|
      25.times do |i|
        FEATURES.each do |f|
          ctx = ctx_of(t, i)
          fl = c.get_flag(f, ctx)
          expected[[ctx[:id], f]] = [fl.is_enabled, fl.get_uuid, fl.get_variables.map(&:to_h)]
        end
      end
    end
    updater = Thread.new do
      settings = JSON.parse(example_settings)
      50.times { c.update_settings(settings) }
    end
    errors = Queue.new
    workers = Array.new(threads) do |t|
      Thread.new do
        iterations.times do |i|
          f = FEATURES[(t + i) % FEATURES.size]
          ctx = ctx_of(t, i)
          fl = c.get_flag(f, ctx)
          want = expected[[ctx[:id], f]]
          got = [fl.is_enabled, fl.get_uuid, fl.get_variables.map(&:to_h)]
          if got != want || fl.get_session_id != ctx[:sessionId]
            errors << "thread #{t} call #{i}: #{got.inspect} sid #{fl.get_session_id}, want #{want.inspect} sid #{ctx[:sessionId]}"
            break
          end
          next unless (i % 10).zero?

          r = c.track_event("ev-#{t}", ctx)
          errors << "thread #{t}: track_event #{r.inspect}" unless r.keys == ["ev-#{t}"]
        end
      end
    end
    workers.each(&:join)
    updater.join
    assert_equal 0, errors.size, Array.new(errors.size) { errors.pop }.join("\n")
    c.close
    assert logs.lines.size.positive?
  end

  # Log callbacks made on the library's event-worker threads (threads Ruby did not
  # create) run in Ruby: the network-free proof is a track_event whose delivery is logged by
  # a worker.
  def test_callbacks_from_library_threads
    mock = MockVWO.new(example_settings)
    seen = Queue.new
    transport = Object.new
    main = Thread.current
    transport.define_singleton_method(:level) { 'DEBUG' }
    transport.define_singleton_method(:log) { |level, message| seen << [level, message, Thread.current == main] }
    c = VWO.init(sdk_key: SDK_KEY, account_id: ACCOUNT_ID, proxy_url: mock.url,
                 logger: { level: 'debug', transport: transport })
    3.times { |i| c.track_event('purchase', { id: "lt-#{i}" }) }
    c.flush_events
    c.close
    entries = Array.new(seen.size) { seen.pop }
    assert entries.any? { |_, _, on_main| !on_main }, 'no log message came from a library thread'
  ensure
    mock&.close
  end
end
