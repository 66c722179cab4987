# frozen_string_literal: true

require 'json'

module VWO
  # A flag variable, as the official SDK's VariableModel: readers key, value, type, id and
  # get_key, get_value, get_type, get_id.
  class VariableModel
    attr_reader :key, :value, :type, :id

    def initialize(key, value, type, id)
      @key = key
      @value = value
      @type = type
      @id = id
    end

    def get_key
      @key
    end

    def get_value
      @value
    end

    def get_type
      @type
    end

    def get_id
      @id
    end

    def to_h
      { key: @key, value: @value, type: @type, id: @id }
    end

    def ==(other)
      other.is_a?(VariableModel) && to_h == other.to_h
    end
  end

  # A flag decision, as the official SDK's GetFlagResponse. Immutable; holds no native
  # resource (everything is read from the native flag before it is freed).
  class GetFlagResponse
    REASONS = %i[evaluated stored_experiment stored_holdout holdout feature_not_found error].freeze

    # Not in the official SDK: how the decision was reached (one of REASONS) and, for a
    # failed call, why.
    attr_reader :reason, :error

    def initialize(is_enabled, variables_json = nil, uuid = nil, session_id = nil, reason: :evaluated, error: nil)
      @is_enabled = is_enabled
      @variables_json = variables_json
      @variables = nil
      @uuid = uuid
      @session_id = session_id
      @reason = reason
      @error = error
    end

    def self.disabled(context, error)
      sid = context.is_a?(Hash) ? (context[:sessionId] || context['sessionId']) : nil
      new(false, nil, nil, sid.is_a?(Integer) ? sid : Time.now.to_i, reason: :error, error: error)
    end

    def is_enabled # rubocop:disable Naming/PredicateName -- the official name
      @is_enabled
    end

    alias enabled? is_enabled

    # Array of VariableModel (parsed on first use).
    def get_variables
      @variables ||= parse_variables
    end

    def get_variable(key, default_value = nil)
      var = get_variables.find { |v| v.key == key }
      var ? var.value : default_value
    end

    def get_uuid
      @uuid
    end

    def get_session_id
      @session_id
    end

    private

    def parse_variables
      return EMPTY if @variables_json.nil? || @variables_json == '[]'

      VariablesCache.fetch(@variables_json)
    end

    EMPTY = [].freeze
  end

  # Parsed variables by their JSON text. Every user served the same variation gets the
  # same variables, and parsing is the costly part of reading them (JSON.parse takes about
  # 5 us for a handful of variables), so the parsed, deeply frozen models are shared. Bounded:
  # cleared when it holds LIMIT entries.
  module VariablesCache
    LIMIT = 1024
    @cache = {}

    def self.fetch(json)
      hit = @cache[json]
      return hit if hit

      @cache.clear if @cache.size >= LIMIT
      models = JSON.parse(json).map do |v|
        VariableModel.new(v['key'], deep_freeze(v['value']), v['type'], v['id']).freeze
      end.freeze
      @cache[json.frozen? ? json : json.dup.freeze] = models
    end

    def self.deep_freeze(value)
      case value
      when Hash then value.each_value { |v| deep_freeze(v) }
      when Array then value.each { |v| deep_freeze(v) }
      end
      value.freeze
    end
  end
end
