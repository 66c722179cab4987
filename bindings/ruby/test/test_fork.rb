# frozen_string_literal: true

require_relative 'test_helper'
require 'timeout'

# A client created before fork keeps working in the child: the child evaluates, tracks
# (the library notices the new process and starts fresh threads) and exits; the parent
# carries on.
class TestFork < Minitest::Test
  include TestSupport

  def test_child_evaluates_and_tracks
    skip 'no fork on this platform' unless Process.respond_to?(:fork)

    mock = MockVWO.new(example_settings)
    # Info level: the event workers log each delivery, so the child's fresh library threads
    # call back into Ruby too (through the ffi gem's callback dispatcher).
    logs = LogCollector.new('INFO')
    c = VWO.init(sdk_key: SDK_KEY, account_id: ACCOUNT_ID, proxy_url: mock.url,
                 logger: { level: 'info', transport: logs })
    parent_flag = c.get_flag('new_checkout', { id: 'fork-user' })
    assert c.track_event('purchase', { id: 'fork-user' })['purchase']
    before = mock.count('/events/t')

    parent_delivered_logs = logs.lines.count { |l| l.include?('sent to VWO') }
    reader, writer = IO.pipe
    pid = Process.fork do
      reader.close
      f = c.get_flag('new_checkout', { id: 'fork-user' })
      tracked = c.track_event('purchase', { id: 'fork-child' })['purchase']
      flushed = c.flush_events
      delivered_logs = logs.lines.count { |l| l.include?('sent to VWO') }
      writer.write(JSON.generate(enabled: f.is_enabled, uuid: f.get_uuid, tracked: tracked,
                                 flushed: flushed && flushed[:status], delivered_logs: delivered_logs))
      writer.close
      c.close
      exit!(0)
    end
    writer.close
    begin
      Timeout.timeout(30) { Process.wait(pid) }
    rescue Timeout::Error
      Process.kill(:KILL, pid)
      Process.wait(pid)
      flunk 'the forked child hung'
    end
    assert $?.success?, "child exited with #{$?.inspect}"
    child = JSON.parse(reader.read)
    assert_equal parent_flag.is_enabled, child['enabled']
    assert_equal parent_flag.get_uuid, child['uuid']
    assert_equal true, child['tracked']
    assert_equal 'success', child['flushed']
    assert child['delivered_logs'] > parent_delivered_logs, 'no log callback from the child\'s library threads'
    assert mock.count('/events/t') > before, 'the child\'s event was not delivered'

    # The parent still works.
    assert_equal parent_flag.is_enabled, c.get_flag('new_checkout', { id: 'fork-user' }).is_enabled
    assert c.track_event('purchase', { id: 'fork-user-2' })['purchase']
    assert_equal({ status: 'success' }, c.flush_events)
    c.close
  ensure
    mock&.close
  end
end
