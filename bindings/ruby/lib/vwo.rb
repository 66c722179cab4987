# frozen_string_literal: true

# `require 'vwo'`, as with the official SDK, loads this gem.
require_relative 'vwo_fme'
