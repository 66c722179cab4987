# frozen_string_literal: true

# Quickstart: decisions for a few users on the bundled settings, offline (no network).
#
#   make ruby-lib                    # at the repository root: builds and copies the library
#   cd bindings/ruby && ruby -Ilib examples/quickstart.rb ../../examples/settings.json
require 'json'
require 'vwo_fme'

path = ARGV[0] || File.expand_path('../../../examples/settings.json', __dir__)

client = VWO.init({
  sdk_key: 'demo0000000000000000000000000000',
  account_id: 123_456,
  settings: JSON.parse(File.read(path)), # no settings fetch, no polling
  offline: true,                         # no network at all: events are counted, not sent
  integrations: {
    callback: lambda do |props|
      if props[:api] == 'getFlag'
        puts "  integration: #{props[:feature_key]} served variation #{props[:experiment_variation_id].inspect}"
      else
        puts "  integration: #{props[:api]} #{props[:event_name]}"
      end
    end
  }
})

[
  { id: 'alice', customVariables: { country: 'US', plan: 'free' } },
  { id: 'bob', customVariables: { country: 'DE', plan: 'Premium', beta: true, app_version: '4.3.1' } },
  { id: 'carol', customVariables: { country: 'IN', plan: 'enterprise' } }
].each do |user|
  flag = client.get_flag('new_checkout', user)
  vars = flag.get_variables.map { |v| "#{v.key}=#{v.value.inspect}" }.join(' ')
  puts format('%-6s new_checkout enabled=%-5s uuid=%s %s', user[:id], flag.is_enabled, flag.get_uuid, vars)
  puts "       track_event(purchase) = #{client.track_event('purchase', user, { revenue: 12.5 }).inspect}"
end
puts "VWO.get_uuid('alice', '123456') = #{VWO.get_uuid('alice', '123456')}"
client.close
