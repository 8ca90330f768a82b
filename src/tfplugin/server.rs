//! The tonic `Provider` service: for each RPC, decode, call the framework, encode.
//!
//! `ProviderService` routes calls by type name to the resources and data sources a
//! framework [`Provider`](crate::framework::Provider) hands in. It keeps the configured
//! client and the stop token: `StopProvider` cancels the calls in flight and the server
//! keeps serving, as terraform-plugin-go does.
//!
//! Work on values (decode, validate, plan, encode) runs on tokio's blocking pool rather than
//! on the runtime's two worker threads, so a plan of a set with tens of thousands of elements
//! never keeps `StopProvider` or any other call waiting.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::framework::{Cx, Diagnostic, Diagnostics, DynDataSource, DynResource, Provider, Schema};
use crate::tfplugin::convert;
use crate::tfplugin::proto::tfplugin6 as pb;
use crate::value::{self, Quoted, Type, Value};

type RpcResult<T> = Result<Response<T>, Status>;

/// Serves one framework provider over tfplugin6.
pub struct ProviderService<P: Provider> {
    provider: P,
    provider_schema: Schema,
    provider_type: Type,
    resources: BTreeMap<String, Arc<dyn DynResource<P::Client>>>,
    data_sources: BTreeMap<String, Arc<dyn DynDataSource<P::Client>>>,
    client: RwLock<Option<Arc<P::Client>>>,
    stop: Mutex<CancellationToken>,
}

impl<P: Provider> ProviderService<P> {
    /// Registers the provider's types under `<prefix>_<name>`.
    pub fn new(provider: P) -> Self {
        let provider_schema = provider.schema();
        let provider_type = provider_schema.value_type();
        let resources = provider
            .resources()
            .into_iter()
            .map(|r| (format!("{}_{}", P::TYPE_PREFIX, r.name()), r))
            .collect();
        let data_sources = provider
            .data_sources()
            .into_iter()
            .map(|d| (format!("{}_{}", P::TYPE_PREFIX, d.name()), d))
            .collect();
        ProviderService {
            provider,
            provider_schema,
            provider_type,
            resources,
            data_sources,
            client: RwLock::new(None),
            stop: Mutex::new(CancellationToken::new()),
        }
    }

    /// The full schema response, as `GetProviderSchema` returns it.
    pub fn schema_response(&self) -> pb::get_provider_schema::Response {
        pb::get_provider_schema::Response {
            provider: Some(convert::schema(&self.provider_schema)),
            resource_schemas: self
                .resources
                .iter()
                .map(|(name, r)| (name.clone(), convert::schema(r.schema())))
                .collect(),
            data_source_schemas: self
                .data_sources
                .iter()
                .map(|(name, d)| (name.clone(), convert::schema(d.schema())))
                .collect(),
            diagnostics: Vec::new(),
            provider_meta: None,
            server_capabilities: Some(pb::ServerCapabilities {
                plan_destroy: true,
                get_provider_schema_optional: true,
                move_resource_state: false,
            }),
            functions: Default::default(),
            ephemeral_resource_schemas: Default::default(),
        }
    }

    fn resource(&self, type_name: &str) -> Result<Arc<dyn DynResource<P::Client>>, Diagnostic> {
        self.resources.get(type_name).cloned().ok_or_else(|| {
            Diagnostic::bug(
                "Unknown resource type",
                format!("Terraform asked for {}", Quoted(type_name)),
            )
        })
    }

    fn data_source(&self, type_name: &str) -> Result<Arc<dyn DynDataSource<P::Client>>, Diagnostic> {
        self.data_sources.get(type_name).cloned().ok_or_else(|| {
            Diagnostic::bug(
                "Unknown data source type",
                format!("Terraform asked for {}", Quoted(type_name)),
            )
        })
    }

    /// The context for a call that talks to the remote API; an error before ConfigureProvider succeeded.
    fn cx(&self) -> Result<Cx<P::Client>, Diagnostic> {
        let client = self
            .client
            .read()
            .map_err(|_| Diagnostic::bug("Provider state is poisoned", "a lock was poisoned"))?;
        let Some(client) = client.as_ref() else {
            return Err(Diagnostic::error(
                "Provider not configured",
                "The provider was used before its configuration succeeded; see the provider configuration errors above.",
            ));
        };
        let cancel = self.stop.lock().map(|token| token.child_token()).unwrap_or_default();
        Ok(Cx::new(P::client_for_call(client, &cancel), cancel))
    }
}

/// Turns a setup failure into the diagnostics of a response.
fn diags_of(diagnostic: Diagnostic) -> Vec<pb::Diagnostic> {
    convert::diagnostics(Diagnostics::from(diagnostic))
}

/// Runs CPU-bound work (decoding, validating, planning or encoding values, which takes a while
/// for sets of tens of thousands of elements) on tokio's blocking pool, so it never holds one
/// of the runtime's few worker threads and `StopProvider` and other calls are answered
/// meanwhile. A panic in `work` becomes a diagnostic.
async fn off_runtime<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Diagnostic> + Send + 'static,
) -> Result<T, Diagnostic> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(err) => Err(Diagnostic::bug("The provider failed while handling values", err)),
    }
}

/// Decodes `dynamic` as `ty` off the runtime; see [`convert::dynamic_value`].
async fn decode(dynamic: Option<pb::DynamicValue>, ty: Type, what: &'static str) -> Result<Value, Diagnostic> {
    off_runtime(move || convert::dynamic_value(dynamic.as_ref(), &ty, what)).await
}

/// Encodes `value` as `ty` off the runtime; see [`convert::to_dynamic_value`].
async fn encode(value: Value, ty: Type, what: &'static str) -> Result<pb::DynamicValue, Diagnostic> {
    off_runtime(move || convert::to_dynamic_value(&value, &ty, what)).await
}

#[tonic::async_trait]
impl<P: Provider> pb::provider_server::Provider for ProviderService<P> {
    async fn get_metadata(&self, _: Request<pb::get_metadata::Request>) -> RpcResult<pb::get_metadata::Response> {
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: self.schema_response().server_capabilities,
            diagnostics: Vec::new(),
            data_sources: self
                .data_sources
                .keys()
                .map(|type_name| pb::get_metadata::DataSourceMetadata {
                    type_name: type_name.clone(),
                })
                .collect(),
            resources: self
                .resources
                .keys()
                .map(|type_name| pb::get_metadata::ResourceMetadata {
                    type_name: type_name.clone(),
                })
                .collect(),
            functions: Vec::new(),
            ephemeral_resources: Vec::new(),
        }))
    }

    async fn get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> RpcResult<pb::get_provider_schema::Response> {
        Ok(Response::new(self.schema_response()))
    }

    async fn validate_provider_config(
        &self,
        request: Request<pb::validate_provider_config::Request>,
    ) -> RpcResult<pb::validate_provider_config::Response> {
        let request = request.into_inner();
        let diagnostics = match decode(request.config, self.provider_type.clone(), "provider configuration").await {
            Ok(config) => {
                let mut diags = Diagnostics::new();
                crate::framework::schema::validate_config(
                    &self.provider_schema.block,
                    &config,
                    &value::AttributePath::root(),
                    &mut diags,
                );
                self.provider.validate(&config, &mut diags);
                convert::diagnostics(diags)
            }
            Err(diagnostic) => diags_of(diagnostic),
        };
        Ok(Response::new(pb::validate_provider_config::Response { diagnostics }))
    }

    async fn validate_resource_config(
        &self,
        request: Request<pb::validate_resource_config::Request>,
    ) -> RpcResult<pb::validate_resource_config::Response> {
        let request = request.into_inner();
        let work = self.resource(&request.type_name).map(|resource| {
            move || {
                let config = convert::dynamic_value(request.config.as_ref(), resource.value_type(), "configuration")?;
                Ok(resource.validate(&config))
            }
        });
        let result = match work {
            Ok(work) => off_runtime(work).await,
            Err(diagnostic) => Err(diagnostic),
        };
        let diagnostics = match result {
            Ok(diags) => convert::diagnostics(diags),
            Err(diagnostic) => diags_of(diagnostic),
        };
        Ok(Response::new(pb::validate_resource_config::Response { diagnostics }))
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<pb::validate_data_resource_config::Request>,
    ) -> RpcResult<pb::validate_data_resource_config::Response> {
        let request = request.into_inner();
        let work = self.data_source(&request.type_name).map(|data_source| {
            move || {
                let config =
                    convert::dynamic_value(request.config.as_ref(), data_source.value_type(), "configuration")?;
                Ok(data_source.validate(&config))
            }
        });
        let result = match work {
            Ok(work) => off_runtime(work).await,
            Err(diagnostic) => Err(diagnostic),
        };
        let diagnostics = match result {
            Ok(diags) => convert::diagnostics(diags),
            Err(diagnostic) => diags_of(diagnostic),
        };
        Ok(Response::new(pb::validate_data_resource_config::Response {
            diagnostics,
        }))
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> RpcResult<pb::upgrade_resource_state::Response> {
        let request = request.into_inner();
        let work = self.resource(&request.type_name).map(|resource| move || {
            let version = resource.schema().version;
            if request.version > version {
                return Err(Diagnostic::error(
                    "State from a newer provider",
                    format!(
                        "The state of this {} was written by a newer provider (schema version {}, this provider knows {}). Upgrade the provider.",
                        Quoted(&request.type_name), request.version, version
                    ),
                ));
            }
            let raw = request.raw_state.unwrap_or_default();
            if raw.json.is_empty() && !raw.flatmap.is_empty() {
                return Err(Diagnostic::error(
                    "Unsupported state format",
                    "This state uses the flatmap format of Terraform 0.11 and older; it cannot be upgraded by this provider.",
                ));
            }
            let state = value::json::decode(&raw.json, resource.value_type())
                .map_err(|err| Diagnostic::error("Could not read the stored state", err.to_string()))?;
            convert::to_dynamic_value(&state, resource.value_type(), "upgraded state")
        });
        let result = match work {
            Ok(work) => off_runtime(work).await,
            Err(diagnostic) => Err(diagnostic),
        };
        let (upgraded_state, diagnostics) = match result {
            Ok(state) => (Some(state), Vec::new()),
            Err(diagnostic) => (None, diags_of(diagnostic)),
        };
        Ok(Response::new(pb::upgrade_resource_state::Response {
            upgraded_state,
            diagnostics,
        }))
    }

    async fn configure_provider(
        &self,
        request: Request<pb::configure_provider::Request>,
    ) -> RpcResult<pb::configure_provider::Response> {
        let request = request.into_inner();
        let config = match decode(request.config, self.provider_type.clone(), "provider configuration").await {
            Ok(config) => config,
            Err(diagnostic) => {
                return Ok(Response::new(pb::configure_provider::Response {
                    diagnostics: diags_of(diagnostic),
                }))
            }
        };
        let (client, diags) = self.provider.configure(&config, &request.terraform_version).await;
        if let Some(client) = client {
            if let Ok(mut slot) = self.client.write() {
                *slot = Some(Arc::new(client));
            }
        }
        Ok(Response::new(pb::configure_provider::Response {
            diagnostics: convert::diagnostics(diags),
        }))
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> RpcResult<pb::read_resource::Response> {
        let request = request.into_inner();
        let result: Result<(pb::DynamicValue, Diagnostics), Diagnostic> = async {
            let resource = self.resource(&request.type_name)?;
            let ty = resource.value_type().clone();
            let current = decode(request.current_state.clone(), ty.clone(), "current state").await?;
            let cx = self.cx()?;
            let (state, diags) = resource.read(&cx, &current).await;
            Ok((encode(state, ty, "new state").await?, diags))
        }
        .await;
        let response = match result {
            Ok((new_state, diags)) => pb::read_resource::Response {
                new_state: Some(new_state),
                diagnostics: convert::diagnostics(diags),
                private: request.private,
                deferred: None,
            },
            Err(diagnostic) => pb::read_resource::Response {
                new_state: request.current_state,
                diagnostics: diags_of(diagnostic),
                private: request.private,
                deferred: None,
            },
        };
        Ok(Response::new(response))
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> RpcResult<pb::plan_resource_change::Response> {
        let pb::plan_resource_change::Request {
            type_name,
            prior_state,
            proposed_new_state,
            config,
            prior_private,
            ..
        } = request.into_inner();
        let work = self.resource(&type_name).map(|resource| {
            move || {
                let ty = resource.value_type();
                let prior = convert::dynamic_value(prior_state.as_ref(), ty, "prior state")?;
                let proposed = convert::dynamic_value(proposed_new_state.as_ref(), ty, "proposed state")?;
                let config = convert::dynamic_value(config.as_ref(), ty, "configuration")?;
                let (plan, diags) = resource.plan(&prior, &proposed, &config);
                let planned = convert::to_dynamic_value(&plan.planned, ty, "planned state")?;
                Ok((planned, plan.requires_replace, diags))
            }
        });
        let result = match work {
            Ok(work) => off_runtime(work).await,
            Err(diagnostic) => Err(diagnostic),
        };
        let response = match result {
            Ok((planned, requires_replace, diags)) => pb::plan_resource_change::Response {
                planned_state: Some(planned),
                requires_replace: requires_replace.iter().map(convert::attribute_path).collect(),
                planned_private: prior_private,
                diagnostics: convert::diagnostics(diags),
                legacy_type_system: false,
                deferred: None,
            },
            Err(diagnostic) => pb::plan_resource_change::Response {
                diagnostics: diags_of(diagnostic),
                ..Default::default()
            },
        };
        Ok(Response::new(response))
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> RpcResult<pb::apply_resource_change::Response> {
        let request = request.into_inner();
        let result: Result<(pb::DynamicValue, Diagnostics), Diagnostic> = async {
            let resource = self.resource(&request.type_name)?;
            let ty = resource.value_type().clone();
            let prior = decode(request.prior_state.clone(), ty.clone(), "prior state").await?;
            let planned = decode(request.planned_state.clone(), ty.clone(), "planned state").await?;
            let cx = self.cx()?;
            let (state, diags) = resource.apply(&cx, &prior, &planned).await;
            Ok((encode(state, ty, "new state").await?, diags))
        }
        .await;
        let response = match result {
            Ok((new_state, diags)) => pb::apply_resource_change::Response {
                new_state: Some(new_state),
                private: request.planned_private,
                diagnostics: convert::diagnostics(diags),
                legacy_type_system: false,
            },
            Err(diagnostic) => pb::apply_resource_change::Response {
                // Nothing was applied, so the prior state stays as it was.
                new_state: request.prior_state,
                private: request.planned_private,
                diagnostics: diags_of(diagnostic),
                legacy_type_system: false,
            },
        };
        Ok(Response::new(response))
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> RpcResult<pb::import_resource_state::Response> {
        let request = request.into_inner();
        let result: Result<(Option<pb::DynamicValue>, Diagnostics), Diagnostic> = async {
            let resource = self.resource(&request.type_name)?;
            let cx = self.cx()?;
            let (state, diags) = resource.import(&cx, &request.id).await;
            if state.is_null() {
                return Ok((None, diags));
            }
            let state = encode(state, resource.value_type().clone(), "imported state").await?;
            Ok((Some(state), diags))
        }
        .await;
        let response = match result {
            Ok((state, diags)) => pb::import_resource_state::Response {
                imported_resources: state
                    .map(|state| pb::import_resource_state::ImportedResource {
                        type_name: request.type_name.clone(),
                        state: Some(state),
                        private: Vec::new(),
                    })
                    .into_iter()
                    .collect(),
                diagnostics: convert::diagnostics(diags),
                deferred: None,
            },
            Err(diagnostic) => pb::import_resource_state::Response {
                diagnostics: diags_of(diagnostic),
                ..Default::default()
            },
        };
        Ok(Response::new(response))
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> RpcResult<pb::read_data_source::Response> {
        let request = request.into_inner();
        let result: Result<(Option<pb::DynamicValue>, Diagnostics), Diagnostic> = async {
            let data_source = self.data_source(&request.type_name)?;
            let ty = data_source.value_type().clone();
            let config = decode(request.config, ty.clone(), "configuration").await?;
            let cx = self.cx()?;
            let (state, diags) = data_source.read(&cx, &config).await;
            if diags.has_errors() {
                return Ok((None, diags));
            }
            Ok((Some(encode(state, ty, "data source state").await?), diags))
        }
        .await;
        let response = match result {
            Ok((state, diags)) => pb::read_data_source::Response {
                state,
                diagnostics: convert::diagnostics(diags),
                deferred: None,
            },
            Err(diagnostic) => pb::read_data_source::Response {
                diagnostics: diags_of(diagnostic),
                ..Default::default()
            },
        };
        Ok(Response::new(response))
    }

    async fn stop_provider(&self, _: Request<pb::stop_provider::Request>) -> RpcResult<pb::stop_provider::Response> {
        // Cancel what is in flight; later calls get a fresh token, and the server keeps serving.
        if let Ok(mut token) = self.stop.lock() {
            token.cancel();
            *token = CancellationToken::new();
        }
        tracing::info!("StopProvider: cancelled operations in flight");
        Ok(Response::new(pb::stop_provider::Response { error: String::new() }))
    }
}
