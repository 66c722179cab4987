# frozen_string_literal: true

# Median microseconds per get_flag through the gem (make bench-ruby), on
# examples/settings.json offline: context Hash to decision, impression queued.
require 'json'
require 'vwo_fme'

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
