# frozen_string_literal: true

# vwo-fme-native: the VWO FME engine of vwo-fme (a native library) with the API of the
# official Ruby SDK (vwo-fme-ruby-sdk).
#
#   require 'vwo_fme'
#   client = VWO.init({ sdk_key: '...', account_id: 123456 })
#   flag = client.get_flag('feature_key', { id: 'user-1' })
#   flag.is_enabled

require_relative 'vwo_fme/version'
require_relative 'vwo_fme/util'
require_relative 'vwo_fme/native'
require_relative 'vwo_fme/logger'
require_relative 'vwo_fme/flag'
require_relative 'vwo_fme/options'
require_relative 'vwo_fme/client'

# The official SDK's entry points.
module VWO
  # Creates a client (VWO::Client, also reachable as VWOClient) from the official SDK's
  # options: Symbol snake_case keys (sdk_key:, account_id:, poll_interval:, logger:,
  # storage:, integrations:, batch_event_data:, gateway_service:, settings:,
  # retry_config:, threading:, proxy_url:, ...) plus this library's own (offline:,
  # python_compat:, max_queue_size:, ...). Fetches the settings before it returns unless
  # settings: is given. Raises VWO::Error for options the library cannot use (the official
  # SDK prints and returns a client whose every call fails).
  def self.init(options)
    Client.new(options)
  end

  # Same as init (the official SDK keeps VWO.new for backward compatibility).
  def self.new(options)
    init(options)
  end

  # The VWO visitor UUID of user_id in account_id (32 upper-case hex digits), or nil when
  # either is empty. Unlike the official SDK an Integer account id is accepted.
  def self.get_uuid(user_id, account_id)
    return nil if user_id.nil? || account_id.nil? || user_id.to_s.empty? || account_id.to_s.empty?

    out = FFI::MemoryPointer.new(:pointer)
    status = Native.vwo_get_uuid(user_id.to_s, account_id.to_s, out)
    return nil unless status == Native::OK

    Native.take_string(out)
  end

  # Call in a forked child when this Ruby has no Process._fork (before 3.1); later Rubies
  # run it on their own. Callbacks from the library's threads need it (see
  # VWO::Native.after_fork_child). Create clients after fork where you can.
  def self.after_fork
    Native.after_fork_child
  end

  def self.library_version
    Native.library_version
  end
end

VWOClient = VWO::Client unless defined?(VWOClient)
