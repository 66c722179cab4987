# frozen_string_literal: true

require_relative 'test_helper'
require 'open3'
require 'rbconfig'
require 'timeout'

# Interpreter exit with events still queued (issue 7, item 4): a script that inits a batching
# client, decides and tracks, then ends WITHOUT close. The gem's at_exit hook closes the
# client: the queued events are delivered (live server), or, when the server refuses or never
# answers, the interpreter still exits within the shutdown timeout and the events are
# reported (the library's error log line and the flush callback, with the same reason).
# Every server is on 127.0.0.1.
class TestExit < Minitest::Test
  include TestSupport

  S2_PATH = File.join(FIXTURES, 'settings', 's2_rollout_ab.json')
  GOAL = 'ab_three_way_conversion'
  ACCOUNT = JSON.parse(File.read(S2_PATH))['accountId'].to_s
  USERS = %w[exit-user-0 exit-user-1 exit-user-2].freeze
  LIB = File.expand_path('../lib', __dir__)

  # ARGV: settings path, proxy URL, extra options (JSON). Nothing is sent before 1000 events
  # or 600 s; READY, then the script waits for a line on stdin and ends.
  CHILD = <<~'RUBY'
    require 'json'
    require 'vwo_fme'
    settings = JSON.parse(File.read(ARGV[0]))
    opts = JSON.parse(ARGV[2], symbolize_names: true)
    flush = lambda do |error, payload|
      ev = JSON.parse(payload)['ev']
      puts "FLUSH_CB #{JSON.generate('error' => error, 'events' => ev.map { |e| [e['d']['visId'], e['d']['event']['name']] })}"
      $stdout.flush
    end
    if opts.delete(:log_transport) # else the library's own console logger
      opts[:logger] = { level: 'error',
                        transport: { level: 'error', log: lambda { |level, msg|
                          puts "LOG #{level} #{msg}"
                          $stdout.flush
                        } } }
    end
    c = VWO.init(opts.merge(sdk_key: settings['sdkKey'], account_id: settings['accountId'], settings: settings,
                            proxy_url: ARGV[1],
                            batch_event_data: { events_per_request: 1000, request_time_interval: 600,
                                                flush_callback: flush }))
    %w[exit-user-0 exit-user-1 exit-user-2].each do |u|
      puts "FLAG #{JSON.generate([u, c.get_flag('ab_three_way', { id: u }).get_variable('int_var')])}"
      puts "TRACK #{JSON.generate(c.track_event('ab_three_way_conversion', { id: u }))}"
    end
    puts 'READY'
    $stdout.flush
    $stdin.gets
  RUBY

  # The child process, its stdout lines collected by a thread.
  class Child
    attr_reader :lines

    def initialize(url, opts = {})
      @stdin, @stdout, @stderr, @wait = Open3.popen3(RbConfig.ruby, '-I', LIB, '-e', CHILD, S2_PATH, url,
                                                     JSON.generate(opts))
      @queue = Queue.new
      @lines = []
      @err = Thread.new { @stderr.read }
      @reader = Thread.new do
        @stdout.each_line { |l| @queue << l.chomp }
        @queue << :eof
      end
    end

    def wait_ready(timeout = 60)
      deadline = now + timeout
      loop do
        line = pop_until(deadline)
        raise "child not READY within #{timeout} s: #{@lines.inspect}" if line.nil? || line == :eof

        @lines << line
        return if line == 'READY'
      end
    end

    # Lets the script end; [exit status, seconds from release to exit, stderr].
    def release_and_wait(timeout = 60)
      t0 = now
      @stdin.puts
      @stdin.close
      status = Timeout.timeout(timeout) { @wait.value }
      elapsed = now - t0
      @reader.join(10)
      while (l = pop_until(now)) && l != :eof
        @lines << l
      end
      [status, elapsed, @err.value]
    rescue Timeout::Error
      kill
      raise "the interpreter did not exit within #{timeout} s of the end of its script"
    end

    def kill
      Process.kill(:KILL, @wait.pid) if @wait.alive?
      @wait.value
    rescue Errno::ESRCH
      nil
    end

    def tagged(tag)
      @lines.select { |l| l.start_with?("#{tag} ") }.map { |l| JSON.parse(l[(tag.size + 1)..]) }
    end

    private

    def now
      Process.clock_gettime(Process::CLOCK_MONOTONIC)
    end

    # The next line, or nil at the deadline (Queue#pop(timeout:) needs Ruby 3.2).
    def pop_until(deadline)
      loop do
        return @queue.pop(true)
      rescue ThreadError
        return nil if now >= deadline

        sleep 0.01
      end
    end
  end

  # Accepts connections on 127.0.0.1, reads what comes, never answers.
  class HangingServer
    def initialize
      @server = TCPServer.new('127.0.0.1', 0)
      @held = []
      @lock = Mutex.new
      @requests = []
      @thread = Thread.new do
        loop do
          s = @server.accept
          @lock.synchronize { @held << s }
          Thread.new(s) do |c|
            line = c.gets
            @lock.synchronize { @requests << line.to_s.split(' ')[1].to_s.split('?').first }
          rescue IOError, SystemCallError
            nil
          end
        end
      rescue IOError, SystemCallError
        nil
      end
    end

    def url
      "http://127.0.0.1:#{@server.addr[1]}"
    end

    def paths
      @lock.synchronize { @requests.dup }
    end

    def close
      @thread.kill
      @server.close
      @lock.synchronize { @held.each(&:close) }
    end
  end

  def closed_port_url
    s = TCPServer.new('127.0.0.1', 0)
    port = s.addr[1]
    s.close # nothing listens there now: connection refused
    "http://127.0.0.1:#{port}"
  end

  def expected_events
    USERS.flat_map { |u| %w[vwo_variationShown ab_three_way_conversion].map { |n| [VWO.get_uuid(u, ACCOUNT), n] } }
  end

  def reference_int_vars
    s = JSON.parse(File.read(S2_PATH))
    ref = VWO.init(sdk_key: s['sdkKey'], account_id: s['accountId'], settings: s, offline: true, logger: QUIET)
    USERS.map { |u| [u, ref.get_flag('ab_three_way', { id: u }).get_variable('int_var')] }
  ensure
    ref&.close
  end

  def test_exit_without_close_delivers_the_queued_events
    mock = MockVWO.new(File.read(S2_PATH))
    child = Child.new(mock.url)
    child.wait_ready
    # the child's decisions are this process's decisions for the same users
    assert_equal reference_int_vars, child.tagged('FLAG')
    assert_equal [{ GOAL => true }] * 3, child.tagged('TRACK')
    # still queued: nothing reached the server
    sleep 0.5
    assert_equal [], mock.events
    status, elapsed, err = child.release_and_wait
    puts format("\nruby: exit with queued events, live server: %.2f s", elapsed)
    assert status.success?, "#{status.inspect} #{err}"
    refute_match(/Error|error/, err)
    assert_operator elapsed, :<, 15
    delivered = wait_until(5) { (got = mock.events) && (expected_events - got).empty? ? got : nil }
    refute_nil delivered, "events not delivered: #{mock.events.inspect}"
    USERS.each { |u| assert_equal 1, delivered.count([VWO.get_uuid(u, ACCOUNT), GOAL]), u }
    cbs = child.tagged('FLUSH_CB')
    refute_empty cbs, child.lines.inspect
    assert_equal [nil] * cbs.size, cbs.map { |cb| cb['error'] }
    assert_equal delivered.sort, cbs.flat_map { |cb| cb['events'] }.sort
    refute(child.lines.any? { |l| l.include?('not delivered') }, child.lines.inspect)
  ensure
    child&.kill
    mock&.close
  end

  def test_exit_without_close_closed_port_is_bounded_and_reported
    child = Child.new(closed_port_url) # the library's console logger
    child.wait_ready
    assert_equal [{ GOAL => true }] * 3, child.tagged('TRACK')
    status, elapsed, err = child.release_and_wait
    puts format("\nruby: exit with queued events, closed port (shutdown_timeout 5 s): %.2f s", elapsed)
    assert status.success?, "#{status.inspect} #{err}"
    assert_reported(child, /\[ERROR\] VWO-SDK \S+ (\d+) event\(s\) not delivered: (.+)$/)
    assert(child.tagged('FLUSH_CB').all? { |cb| cb['error'].downcase.include?('refused') })
    # bounded by shutdown_timeout_ms (5 000 by default), which it did wait for
    assert_operator elapsed, :>, 4.5
    assert_operator elapsed, :<, 15
  ensure
    child&.kill
  end

  def test_exit_without_close_hanging_server_is_bounded_and_reported
    hang = HangingServer.new
    # request_timeout_ms (3 000) is below shutdown_timeout_ms: see the Python suite's
    # xfail for an in-flight request that outlasts the shutdown timeout (a library bug)
    child = Child.new(hang.url, log_transport: true, shutdown_timeout_ms: 2000, request_timeout_ms: 1000)
    child.wait_ready
    assert_equal [{ GOAL => true }] * 3, child.tagged('TRACK')
    status, elapsed, err = child.release_and_wait
    puts format("\nruby: exit with queued events, hanging server (shutdown_timeout 2 s): %.2f s", elapsed)
    assert status.success?, "#{status.inspect} #{err}"
    assert_includes hang.paths, '/server-side/batch-events-v2'
    assert_reported(child, /^LOG ERROR (\d+) event\(s\) not delivered: (.+)$/)
    assert_operator elapsed, :>, 1.5
    assert_operator elapsed, :<, 10
  ensure
    child&.kill
    hang&.close
  end

  private

  # The undelivered events are reported by a log line and by the flush callback, with the
  # same count and reason, and they are this script's events.
  def assert_reported(child, line_re)
    reports = child.lines.filter_map { |l| l.match(line_re) }
    cbs = child.tagged('FLUSH_CB')
    refute_empty reports, child.lines.inspect
    refute_empty cbs, child.lines.inspect
    assert_equal reports.map { |m| m[2] }, cbs.map { |cb| cb['error'] }
    assert_equal reports.map { |m| m[1].to_i }, cbs.map { |cb| cb['events'].size }
    undelivered = cbs.flat_map { |cb| cb['events'] }
    assert_empty expected_events - undelivered
  end

  def wait_until(timeout)
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + timeout
    loop do
      v = yield
      return v if v
      return nil if Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline

      sleep 0.02
    end
  end
end
