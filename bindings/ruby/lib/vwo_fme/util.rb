# frozen_string_literal: true

require 'json'

module VWO
  # Raised by VWO.init for unusable options, and by the library for a missing symbol or ABI.
  class Error < StandardError
    # The C ABI status name (e.g. "VWO_ERR_INIT"), or nil for errors of the binding itself.
    attr_reader :status

    def initialize(message, status = nil)
      super(message)
      @status = status
    end
  end

  # Key conversions between the library's camelCase JSON and the official Ruby SDK's
  # snake_case Symbols (storage records and integration payloads).
  module Keys
    module_function

    # "rolloutVariationId" -> :rollout_variation_id, "holdoutIDs" -> :holdout_ids
    def snake(key)
      s = key.to_s
      return s.to_sym unless s.match?(/[A-Z]/)

      s.gsub(/([A-Z\d]+)([A-Z][a-z])/, '\1_\2').gsub(/([a-z\d])([A-Z])/, '\1_\2').downcase.to_sym
    end

    # :rollout_variation_id / "rollout_variation_id" -> "rolloutVariationId"; camelCase
    # keys stay as they are.
    def camel(key)
      s = key.to_s
      return s unless s.include?('_') && !s.start_with?('_')

      parts = s.split('_')
      parts[0] + parts[1..].map { |p| p.empty? ? '' : p[0].upcase + p[1..] }.join
    end

    def snake_hash(h)
      h.each_with_object({}) { |(k, v), out| out[snake(k)] = v }
    end

    def camel_hash(h)
      h.each_with_object({}) { |(k, v), out| out[camel(k)] = v }
    end
  end
end
