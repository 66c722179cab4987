# frozen_string_literal: true

require_relative 'test_helper'

# Shared case files replayed through this gem (offline, python_compat: true, the official
# Ruby SDK's camelCase Symbol context keys, a snake_case Symbol storage connector) and
# compared call by call with the official Python SDK 1.65.0's recorded results: results,
# integrations payloads (whose keys the gem turns to snake_case Symbols, as the Ruby SDK),
# storage reads and writes, final storage.
class TestConformance < Minitest::Test
  include TestSupport

  CONTEXT_KEYS = {
    'custom_variables' => :customVariables, 'user_agent' => :userAgent, 'ip_address' => :ipAddress,
    'session_id' => :sessionId, 'bucketing_seed' => :bucketingSeed,
    'variation_targeting_variables' => :variationTargetingVariables,
    'post_segmentation_variables' => :postSegmentationVariables, 'platform_variables' => :platformVariables
  }.freeze

  def ruby_context(ctx)
    (ctx || {}).each_with_object({}) { |(k, v), out| out[CONTEXT_KEYS[k] || k.to_sym] = v }
  end

  def norm_session(sid)
    now = Time.now.to_i
    sid.between?(now - 5, now + 3600) ? '<TS_S>' : sid
  end

  def canon(v)
    JSON.parse(JSON.generate(v))
  end

  def diff(want, got, path, out)
    if want.is_a?(Hash) && got.is_a?(Hash)
      (want.keys | got.keys).sort.each do |k|
        if !want.key?(k) then out << "#{path}.#{k}: unexpected #{got[k].inspect}"
        elsif !got.key?(k) then out << "#{path}.#{k}: missing (want #{want[k].inspect})"
        else diff(want[k], got[k], "#{path}.#{k}", out)
        end
      end
    elsif want.is_a?(Array) && got.is_a?(Array) && want.size == got.size
      want.each_with_index { |w, i| diff(w, got[i], "#{path}[#{i}]", out) }
    elsif want != got || want.class != got.class && !(want.is_a?(Numeric) && got.is_a?(Numeric))
      out << "#{path}: want #{want.inspect}, got #{got.inspect}"
    end
  end

  def replay(name)
    base = name.split('.').first
    settings = JSON.parse(File.read(File.join(FIXTURES, 'settings', "#{base}.json")))
    cases = JSON.parse(File.read(File.join(FIXTURES, 'cases', "#{name}.json")))
    expected = JSON.parse(Zlib::GzipReader.open(File.join(FIXTURES, 'results', "#{name}.json.gz"), &:read))
    meta = expected['meta']['sdk_options']
    storage = RecStorage.new
    decisions = []
    use_storage = cases['options']['storage'] == true
    options = {
      sdk_key: meta['sdk_key'], account_id: meta['account_id'], settings: settings, offline: true,
      python_compat: true, logger: QUIET, integrations: { callback: ->(props) { decisions << props } }
    }
    options[:storage] = storage if use_storage
    client = VWO.init(options)
    diffs = []
    cases['calls'].each_with_index do |call, i|
      decisions.clear
      ctx = ruby_context(call['context'])
      result = case call['op']
               when 'get_flag'
                 f = client.get_flag(call['feature_key'], ctx)
                 { 'is_enabled' => f.is_enabled, 'variables' => f.get_variables.map(&:to_h),
                   'uuid' => f.get_uuid, 'session_id' => norm_session(f.get_session_id) }
               when 'track_event'
                 client.track_event(call['event_name'], ctx, call['event_properties'] || {})
               when 'set_attribute'
                 attrs = call['attributes'] || { call['key'] => call['value'] }
                 client.set_attribute(attrs, ctx)
               else flunk("unexpected op #{call['op']}")
               end
      want = expected['calls'][i]
      path = "calls[#{i}](#{call['op']})"
      diff(want['result'], canon(result), "#{path}.result", diffs)
      want_decision = want['decision'] && VWO::Keys.snake_hash(want['decision'])
      diff(canon(want_decision), canon(decisions.last), "#{path}.decision", diffs)
      if use_storage
        reads, writes = storage.take_log
        got = { 'reads' => reads, 'writes' => writes.map { |w| VWO::Keys.camel_hash(w) } }
        diff(want['storage'], canon(got), "#{path}.storage", diffs)
      end
    end
    diff(expected['final_storage'], canon(storage.dump), 'final_storage', diffs) if use_storage
    client.close
    [cases['calls'].size, diffs]
  end

  %w[s2_rollout_ab.storage s4_segmentation.storage s5_meg.storage].each do |name|
    define_method("test_#{name.tr('.', '_')}") do
      n, diffs = replay(name)
      assert diffs.empty?, "#{name}: #{diffs.size} differences in #{n} calls, first:\n#{diffs.first(20).join("\n")}"
    end
  end
end
