# frozen_string_literal: true

require 'ffi'

module VWO
  # The C ABI of libvwo_fme (include/vwo_fme.h) over the ffi gem.
  #
  # Owned strings come back as :pointer and are released with vwo_string_free (ffi's :string
  # return type would leak them). Calls that can wait for the library's own threads or for
  # the network release the GVL (blocking: true), so that callbacks those threads make into
  # Ruby can run meanwhile.
  module Native
    extend FFI::Library

    # The C ABI major version this gem was written for.
    ABI_MAJOR = 1

    # Where the shared library is looked for, in order:
    # 1. ENV['VWO_FME_LIB'] (a path);
    # 2. lib/vwo_fme/native/<arch>-<os>/libvwo_fme.<ext> inside this gem (`make ruby-lib`);
    # 3. target/release/libvwo_fme.<ext> of the repository this gem sits in (development);
    # 4. the system's library path ("vwo_fme").
    def self.library_path
      env = ENV['VWO_FME_LIB']
      return env if env && !env.empty?

      file = "libvwo_fme.#{FFI::Platform::LIBSUFFIX}"
      candidates = [
        File.expand_path(File.join('native', "#{FFI::Platform::ARCH}-#{FFI::Platform::OS}", file), __dir__),
        File.expand_path(File.join('..', '..', '..', '..', 'target', 'release', file), __dir__)
      ]
      candidates.find { |p| File.file?(p) } || 'vwo_fme'
    end

    ffi_lib library_path

    # Callback signatures (vwo_callbacks). Borrowed input strings arrive as :string (copied).
    callback :vwo_free_user_data_cb, [:pointer], :void
    callback :vwo_storage_get_cb, %i[pointer string string pointer], :int32
    callback :vwo_storage_set_cb, %i[pointer string], :int32
    callback :vwo_log_cb, %i[pointer int32 string], :void
    callback :vwo_integrations_cb, %i[pointer string], :void
    callback :vwo_flush_cb, %i[pointer string string], :void

    # struct vwo_callbacks
    class Callbacks < FFI::Struct
      layout :struct_size, :uint32,
             :user_data, :pointer,
             :free_user_data, :vwo_free_user_data_cb,
             :storage_get, :vwo_storage_get_cb,
             :storage_set, :vwo_storage_set_cb,
             :log, :vwo_log_cb,
             :log_level, :int32,
             :integrations, :vwo_integrations_cb,
             :flush, :vwo_flush_cb
    end

    attach_function :vwo_version, [], :pointer
    attach_function :vwo_abi_version, [], :uint32
    attach_function :vwo_last_error_message, [], :pointer
    attach_function :vwo_status_name, [:int32], :pointer
    attach_function :vwo_string_free, [:pointer], :void

    attach_function :vwo_storage_result_set_json, %i[pointer pointer size_t], :int32
    attach_function :vwo_storage_result_set_error, %i[pointer string], :int32

    attach_function :vwo_client_new, %i[string pointer pointer], :int32, blocking: true
    attach_function :vwo_client_close, %i[pointer pointer], :int32, blocking: true
    attach_function :vwo_client_free, [:pointer], :void, blocking: true
    attach_function :vwo_track_event, %i[pointer string string string pointer], :int32, blocking: true
    attach_function :vwo_set_attributes, %i[pointer string string], :int32, blocking: true
    attach_function :vwo_flush_events, %i[pointer uint32 pointer], :int32, blocking: true
    attach_function :vwo_update_settings, %i[pointer string int32], :int32, blocking: true
    attach_function :vwo_get_uuid, %i[string string pointer], :int32

    # The hot path keeps the GVL: an evaluation takes about a microsecond and calls storage
    # and integrations callbacks on this thread.
    attach_function :vwo_get_flag, %i[pointer string string pointer], :int32
    attach_function :vwo_flag_is_enabled, [:pointer], :int32
    attach_function :vwo_flag_reason, [:pointer], :int32
    attach_function :vwo_flag_session_id, [:pointer], :int64
    attach_function :vwo_flag_uuid, [:pointer], :pointer
    attach_function :vwo_flag_variables_json, %i[pointer pointer], :int32
    attach_function :vwo_flag_free, [:pointer], :void

    # Status codes.
    OK = 0
    ERR_INVALID_ARGUMENT = 4
    ERR_INIT = 6
    ERR_CLOSED = 7
    ERR_NO_SETTINGS = 8
    ERR_FAILED = 9

    # The message of the last failed call on this thread (a Ruby thread is one OS thread).
    def self.last_error
      p = vwo_last_error_message
      p.null? ? '' : p.read_string.force_encoding(Encoding::UTF_8)
    end

    def self.status_name(status)
      vwo_status_name(status).read_string
    end

    # Reads an owned string written through out (a pointer to a pointer) and frees it.
    def self.take_string(out)
      s = out.read_pointer
      return nil if s.null?

      begin
        s.read_string.force_encoding(Encoding::UTF_8)
      ensure
        vwo_string_free(s)
      end
    end

    def self.library_version
      vwo_version.read_string
    end

    def self.abi_version
      v = vwo_abi_version
      [v >> 16, v & 0xffff]
    end

    # The ffi gem runs callbacks made on threads Ruby did not create (the library's event
    # workers and poller) on a dispatcher thread, which a forked child does not inherit; ffi
    # before 1.17 does not restart it (ffi/ffi#1114), so such callbacks would wait forever
    # in the child. Creating an FFI::Function restarts a dead dispatcher, so this is run in
    # every child: automatically through Process._fork (Ruby >= 3.1), else call
    # VWO.after_fork in the child (Puma on_worker_boot, Unicorn after_fork, ...).
    def self.after_fork_child
      FFI::Function.new(:void, []) {}
      nil
    end

    # Runs after_fork_child in the child of every fork (Kernel#fork, Process.fork, IO.popen
    # with "-", ...).
    module ForkHook
      def _fork
        pid = super
        Native.after_fork_child if pid.zero?
        pid
      end
    end
    Process.singleton_class.prepend(ForkHook) if Process.respond_to?(:_fork)

    major, minor = abi_version
    if major != ABI_MAJOR
      raise LoadError, "vwo_fme: #{library_path} has C ABI #{major}.#{minor}; this gem needs major #{ABI_MAJOR}"
    end
  end
end
