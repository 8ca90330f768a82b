//! The resource and data source types this provider serves; their order is the docs order.

use std::sync::Arc;

use crate::atlas;
use crate::framework::{data_source, resource, DynDataSource, DynResource};
use crate::provider::data_sources::{ai_model_api_key, api_key, project_api_key};
use crate::provider::resources;

/// Every managed resource type.
pub fn resources() -> Vec<Arc<dyn DynResource<atlas::Client>>> {
    vec![
        resource(resources::api_key::ApiKey),
        resource(resources::project_api_key::ProjectApiKey),
        resource(resources::ai_model_api_key::AiModelApiKey),
    ]
}

/// Every data source type.
pub fn data_sources() -> Vec<Arc<dyn DynDataSource<atlas::Client>>> {
    vec![
        data_source(api_key::ApiKeyData),
        data_source(api_key::ApiKeysData),
        data_source(project_api_key::ProjectApiKeyData),
        data_source(project_api_key::ProjectApiKeysData),
        data_source(ai_model_api_key::AiModelApiKeyData),
        data_source(ai_model_api_key::AiModelApiKeysData),
    ]
}
