# frozen_string_literal: true

module VWO
  # Version of this gem (the native library reports its own: VWO::Native.library_version).
  BINDING_VERSION = '0.1.0'
end
