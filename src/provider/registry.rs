//! The resource and data source types this provider serves; their order is the docs order.

use std::sync::Arc;

use crate::atlas;
use crate::framework::{resource, DynDataSource, DynResource};
use crate::provider::resources;

/// Every managed resource type.
pub fn resources() -> Vec<Arc<dyn DynResource<atlas::Client>>> {
    vec![resource(resources::api_key::ApiKey)]
}

/// Every data source type.
pub fn data_sources() -> Vec<Arc<dyn DynDataSource<atlas::Client>>> {
    Vec::new()
}
