# frozen_string_literal: true

require_relative 'lib/vwo_fme/version'

Gem::Specification.new do |s|
  s.name = 'vwo-fme-native'
  s.version = VWO::BINDING_VERSION
  s.summary = 'VWO Feature Management and Experimentation over the native vwo-fme engine'
  s.description = 'The API of the official vwo-fme-ruby-sdk (VWO.init, get_flag, track_event, ...) ' \
                  'over libvwo_fme, a native VWO FME engine, through the ffi gem.'
  s.license = 'Apache-2.0'
  s.authors = ['vwo-fme contributors']
  s.required_ruby_version = '>= 2.7'
  s.files = Dir['lib/**/*.rb'] + Dir['lib/vwo_fme/native/**/*'] + ['README.md']
  s.require_paths = ['lib']
  s.add_dependency 'ffi', '>= 1.15'
  s.add_development_dependency 'minitest', '>= 5'
end
