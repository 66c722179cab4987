# frozen_string_literal: true

# Median microseconds per get_flag through the gem (make bench-ruby), on
# examples/settings.json offline: context Hash to decision, impression queued.
#
# Benchmark matrix mode (make bench, bench/README.md):
#
#   ruby -Ilib bench/get_flag.rb --matrix ../../bench/scenarios.json
#
# runs every scenario of that file (same settings, feature keys cycled, context with the
# official Ruby SDK's camelCase Symbol keys) with impressions queued for the mock server at
# VWO_MOCK_URL, logs dropped by a no-op transport, an in-memory storage connector when the
# scenario says so. Timing as the Rust harness (benches/support.rs): batches of calls lasting
# >= 0.5 ms, the median / p10 / p90 of the wall time per call over the batches and the median
# CPU time of the calling thread per call, for VWO_BENCH_MS (default 400) per scenario. One
# JSON object per scenario on standard output.
require 'json'
require 'vwo_fme'

module MatrixBench
  ROOT = File.expand_path('../../..', __dir__)
  KEYS = { 'custom_variables' => :customVariables, 'user_agent' => :userAgent, 'ip_address' => :ipAddress }.freeze

  # In-memory storage connector (records keyed by feature key and user id).
  class MemStorage
    def initialize
      @data = {}
    end

    def get(feature_key, user_id)
      @data[[feature_key, user_id]]
    end

    def set(data)
      @data[[data[:feature_key].to_s, data[:user_id].to_s]] = data
    end
  end

  def self.now
    Process.clock_gettime(Process::CLOCK_MONOTONIC, :nanosecond)
  end

  def self.cpu
    Process.clock_gettime(Process::CLOCK_THREAD_CPUTIME_ID, :nanosecond)
  end

  def self.pick(sorted, q)
    sorted[((sorted.size - 1) * q).round]
  end

  def self.time_batches(client, keys, ctx, budget_s)
    m = keys.size
    batch = 1
    loop do
      t = now
      batch.times { |j| client.get_flag(keys[j % m], ctx) }
      break if now - t >= 500_000 || batch >= 1 << 20

      batch *= 2
    end
    wall = []
    cpu_t = []
    GC.start
    start = now
    while now - start < budget_s * 1e9 || wall.size < 15
      c = cpu
      t = now
      batch.times { |j| client.get_flag(keys[j % m], ctx) }
      wall << (now - t).fdiv(batch)
      cpu_t << (cpu - c).fdiv(batch)
    end
    wall.sort!
    cpu_t.sort!
    { median_ns: pick(wall, 0.5), p10_ns: pick(wall, 0.1), p90_ns: pick(wall, 0.9), cpu_ns: pick(cpu_t, 0.5),
      cpu_p10_ns: pick(cpu_t, 0.1), batches: wall.size, batch: batch }
  end

  def self.run(file)
    url = ENV.fetch('VWO_MOCK_URL', '')
    abort 'get_flag.rb --matrix: VWO_MOCK_URL is not set (a loopback mock server)' if url.empty?
    budget = Float(ENV.fetch('VWO_BENCH_MS', '400')) / 1000.0
    quiet = { transport: { level: 'error', log: ->(_level, _message) {} } }
    JSON.parse(File.read(file))['scenarios'].each do |sc|
      settings = JSON.parse(File.read(File.join(ROOT, sc['settings'])))
      ctx = sc['context'].each_with_object({}) { |(k, v), o| o[KEYS[k] || k.to_sym] = v }
      opts = { sdk_key: '0123456789abcdef0123456789abcdef', account_id: settings['accountId'], settings: settings,
               proxy_url: url, max_queue_size: 10_000_000,
               batch_event_data: { events_per_request: 500, request_time_interval: 60 }, logger: quiet }
      opts[:storage] = MemStorage.new if sc['storage']
      client = VWO.init(opts)
      keys = sc['features']
      decisions = keys.map { |k| client.get_flag(k, ctx).is_enabled }
      res = time_batches(client, keys, ctx, budget)
      delivered = client.flush_events&.fetch(:status) == 'success'
      client.close
      rec = { kind: 'latency', layer: 'ruby', scenario: sc['name'], decisions: decisions, all_delivered: delivered }
            .merge(res)
      puts JSON.generate(rec)
      $stdout.flush
      warn format('%-16s %-20s %10.0f ns (p10 %.0f, p90 %.0f; caller CPU %.0f)%s', 'ruby', sc['name'],
                  res[:median_ns], res[:p10_ns], res[:p90_ns], res[:cpu_ns],
                  delivered ? '' : '  NOT ALL EVENTS DELIVERED')
    end
  end
end

if (i = ARGV.index('--matrix'))
  MatrixBench.run(ARGV[i + 1])
  exit 0
end

settings = JSON.parse(File.read(File.expand_path('../../../examples/settings.json', __dir__)))
client = VWO.init(sdk_key: 'demo0000000000000000000000000000', account_id: 123_456, settings: settings,
                  offline: true)

def cpu_now
  Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID)
end

def measure(label, batches: 200, per_batch: 500)
  samples = []
  cpu = []
  batches.times do
    t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    c0 = cpu_now
    per_batch.times { yield }
    samples << (Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0) * 1e6 / per_batch
    cpu << (cpu_now - c0) * 1e6 / per_batch
  end
  samples.sort!
  cpu.sort!
  puts format('%-44s median %6.2f us  (p10 %6.2f, p90 %6.2f)  cpu median %6.2f us',
              label, samples[samples.size / 2], samples[samples.size / 10], samples[samples.size * 9 / 10],
              cpu[cpu.size / 2])
  samples[samples.size / 2]
end

ctx = { id: 'bench-user', customVariables: { country: 'US', plan: 'pro' } }
users = Array.new(1024) { |i| { id: "user-#{i}", customVariables: { country: 'DE' } } }
2000.times { client.get_flag('new_checkout', ctx) } # warm-up

median = measure('get_flag (one user)') { client.get_flag('new_checkout', ctx) }
i = 0
measure('get_flag (1024 users)') { client.get_flag('new_checkout', users[(i += 1) & 1023]) }
measure('get_flag + get_variable') { client.get_flag('new_checkout', ctx).get_variable('title') }
measure('track_event') { client.track_event('purchase', ctx, { revenue: 12.5 }) }
client.close
target = 15.0
puts format('get_flag median %.2f us (target <= %.0f us): %s', median, target, median <= target ? 'ok' : 'OVER TARGET')
