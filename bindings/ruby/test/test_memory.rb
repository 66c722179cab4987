# frozen_string_literal: true

require_relative 'test_helper'

# Memory stays flat over 1 000 000 get_flag calls (process RSS, which includes the native
# library's allocations). `make test-ruby` runs it (VWO_LEAK_TEST=1); otherwise 100 000 calls.
class TestMemory < Minitest::Test
  include TestSupport

  def test_memory_flat_over_many_get_flag_calls
    total = ENV['VWO_LEAK_TEST'] == '1' ? 1_000_000 : 100_000
    c = new_client
    users = Array.new(1000) { |i| { id: "leak-#{i}", customVariables: { country: 'US', plan: 'pro' } } }
    features = %w[new_checkout search_ranking homepage_hero dark_mode]
    run = lambda do |n, offset|
      n.times do |i|
        f = c.get_flag(features[(i + offset) % 4], users[(i + offset) % 1000])
        f.get_variable('title', '') if f.is_enabled
      end
    end
    run.call(100_000, 0) # warm-up
    GC.start
    r0 = rss_kb
    steps = 4
    steps.times do |s|
      run.call(total / steps, s)
      GC.start
      puts format('  memory: after %<n>7d calls RSS %<r>d KB', n: (s + 1) * total / steps, r: rss_kb)
    end
    r1 = rss_kb
    puts format('  memory: %<n>d get_flag calls: RSS %<a>d -> %<b>d KB', n: total, a: r0, b: r1)
    assert_operator r1 - r0, :<, 20 * 1024, "RSS grew by #{r1 - r0} KB over #{total} calls"
  end
end
