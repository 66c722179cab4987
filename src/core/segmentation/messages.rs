//! Log templates the segmentation code reports, with the official SDK's texts
//! (`resources/error-messages.json` of vwo-fme-python-sdk 1.65.0).

pub(crate) const INVALID_IP_ADDRESS: &str = "INVALID_IP_ADDRESS_IN_CONTEXT_FOR_PRE_SEGMENTATION";
pub(crate) const INVALID_IP_ADDRESS_TEXT: &str =
    "ipAddress is required in context to evaluate location pre-segmentation";

pub(crate) const INVALID_USER_AGENT: &str = "INVALID_USER_AGENT_IN_CONTEXT_FOR_PRE_SEGMENTATION";
pub(crate) const INVALID_USER_AGENT_TEXT: &str =
    "userAgent is required in context to evaluate user-agent pre-segmentation";

pub(crate) const USER_AGENT_VALIDATION_ERROR: &str = "USER_AGENT_VALIDATION_ERROR";

pub(crate) fn user_agent_validation_error(err: &str) -> String {
    format!("Failed to validate user agent. Error: {err}")
}

pub(crate) const FEATURE_NOT_FOUND_WITH_ID: &str = "FEATURE_NOT_FOUND_WITH_ID";

pub(crate) fn feature_not_found_with_id(id: &str) -> String {
    format!("Feature not found for the id:{id}")
}

pub(crate) const INVALID_ATTRIBUTE_LIST_FORMAT: &str = "INVALID_ATTRIBUTE_LIST_FORMAT";
pub(crate) const INVALID_ATTRIBUTE_LIST_FORMAT_TEXT: &str = "Invalid inList operand format";

pub(crate) const INVALID_WEB_TESTING_CAMPAIGNS_JSON: &str = "INVALID_WEB_TESTING_CAMPAIGNS_JSON";
pub(crate) const INVALID_WEB_TESTING_CAMPAIGNS_JSON_TEXT: &str =
    "webTestingCampaigns must be a JSON object (not an array)";

pub(crate) const INVALID_WEB_TESTING_CAMPAIGNS_DUPLICATE_KEY: &str = "INVALID_WEB_TESTING_CAMPAIGNS_DUPLICATE_KEY";

pub(crate) fn web_testing_duplicate_key(key: &str) -> String {
    format!("webTestingCampaigns JSON string contains duplicate object key: {key}, only last occurrence is considered")
}

pub(crate) const INVALID_WEB_TESTING_CAMPAIGNS_TYPE: &str = "INVALID_WEB_TESTING_CAMPAIGNS_TYPE";

pub(crate) fn web_testing_invalid_type(kind: &str) -> String {
    format!("webTestingCampaigns has invalid type: {kind}")
}

/// Info logs (not error templates in the official SDK, plain `LogManager.info` texts).
pub(crate) const BROWSER_VERSION_NEEDS_USER_AGENT: &str =
    "To evaluate browser version segmentation, please provide userAgent in context";
pub(crate) const OS_VERSION_NEEDS_USER_AGENT: &str =
    "To evaluate OS version segmentation, please provide userAgent in context";
