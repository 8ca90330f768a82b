//! The tonic `Provider` service: for each RPC, call the framework, convert the answer.
//!
//! `ProviderService` routes calls by type name to the resources and data sources a
//! framework [`Provider`] hands in. It keeps the configured
//! client and the stop token: `StopProvider` cancels the calls in flight and the server
//! keeps serving, as terraform-plugin-go does.
//!
//! Every RPC reads the same way, as in terraform-plugin-go's `tf6server`: share the request,
//! call the framework through one method of `ProviderService` that answers with an
//! `convert::Answer`, and let one `convert` function turn the answer into the response. Anything the
//! user should see (an unknown type, an undecodable value, a call before configure) is a
//! diagnostic inside a successful response; `tonic::Status` is never returned.
//!
//! Work on values (decode, validate, plan, encode) runs on tokio's blocking pool rather than
//! on the runtime's two worker threads, so a plan of a set with tens of thousands of elements
//! never keeps `StopProvider` or any other call waiting. The request is shared through an
//! `Arc` so that work can read it without copying large values.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::framework::schema::validate_config;
use crate::framework::{
    Configured, Cx, Diagnostic, Diagnostics, DynDataSource, DynEphemeralResource, DynResource, Provider, Schema,
};
use crate::tfplugin::convert::{self, Answer};
use crate::tfplugin::proto::tfplugin6 as pb;
use crate::value::{AttributePath, Quoted, Type, Value};

type RpcResult<T> = Result<Response<T>, Status>;

/// Serves one framework provider over tfplugin6.
pub struct ProviderService<P: Provider> {
    provider: P,
    provider_schema: Schema,
    provider_type: Type,
    /// The `provider_meta` schema and its type, when the provider has one.
    meta: Option<(Schema, Type)>,
    resources: BTreeMap<String, Arc<dyn DynResource<P::Client>>>,
    data_sources: BTreeMap<String, Arc<dyn DynDataSource<P::Client>>>,
    ephemeral_resources: BTreeMap<String, Arc<dyn DynEphemeralResource<P::Client>>>,
    /// `None` before ConfigureProvider succeeded; `Err` with the diagnostic every call that
    /// needs the client reports while the configuration is not yet known.
    client: RwLock<Option<Result<Arc<P::Client>, Diagnostic>>>,
    stop: Mutex<CancellationToken>,
    /// The `GetProviderSchema` answer, converted on the first call and reused afterwards.
    schema: OnceLock<pb::get_provider_schema::Response>,
    /// Ephemeral objects opened and not yet closed, as (type name, private data). Terraform
    /// skips CloseEphemeralResource when anything downstream of the object failed or was
    /// interrupted; [`ProviderService::close_unclosed`] closes these at Shutdown.
    unclosed: Mutex<Vec<(String, Vec<u8>)>>,
}

impl<P: Provider> ProviderService<P> {
    /// Registers the provider's types under `<prefix>_<name>`.
    pub fn new(provider: P) -> Self {
        let provider_schema = provider.schema();
        let provider_type = provider_schema.value_type();
        let meta = provider.meta_schema().map(|schema| {
            let ty = schema.value_type();
            (schema, ty)
        });
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
        let ephemeral_resources = provider
            .ephemeral_resources()
            .into_iter()
            .map(|e| (format!("{}_{}", P::TYPE_PREFIX, e.name()), e))
            .collect();
        ProviderService {
            provider,
            provider_schema,
            provider_type,
            meta,
            resources,
            data_sources,
            ephemeral_resources,
            client: RwLock::new(None),
            stop: Mutex::new(CancellationToken::new()),
            schema: OnceLock::new(),
            unclosed: Mutex::new(Vec::new()),
        }
    }

    /// The full schema response, as `GetProviderSchema` returns it.
    pub fn schema_response(&self) -> pb::get_provider_schema::Response {
        convert::schema_response(
            &self.provider_schema,
            self.meta.as_ref().map(|(schema, _)| schema),
            self.resources.iter().map(|(name, r)| (name, r.schema())),
            self.data_sources.iter().map(|(name, d)| (name, d.schema())),
            self.ephemeral_resources.iter().map(|(name, e)| (name, e.schema())),
        )
    }
}

#[tonic::async_trait]
impl<P: Provider> pb::provider_server::Provider for ProviderService<P> {
    async fn get_metadata(&self, _: Request<pb::get_metadata::Request>) -> RpcResult<pb::get_metadata::Response> {
        reply(convert::metadata_response(
            self.resources.keys(),
            self.data_sources.keys(),
            self.ephemeral_resources.keys(),
        ))
    }

    async fn get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> RpcResult<pb::get_provider_schema::Response> {
        // Schemas never change within a process; Terraform may ask more than once.
        reply(self.schema.get_or_init(|| self.schema_response()).clone())
    }

    async fn validate_provider_config(
        &self,
        request: Request<pb::validate_provider_config::Request>,
    ) -> RpcResult<pb::validate_provider_config::Response> {
        let request = Arc::new(request.into_inner());
        let answer = self.validate_provider(Arc::clone(&request)).await;
        reply(convert::diagnostics_response(answer))
    }

    async fn validate_resource_config(
        &self,
        request: Request<pb::validate_resource_config::Request>,
    ) -> RpcResult<pb::validate_resource_config::Response> {
        let request = Arc::new(request.into_inner());
        let answer = self.validate_resource(Arc::clone(&request)).await;
        reply(convert::diagnostics_response(answer))
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<pb::validate_data_resource_config::Request>,
    ) -> RpcResult<pb::validate_data_resource_config::Response> {
        let request = Arc::new(request.into_inner());
        let answer = self.validate_data_source(Arc::clone(&request)).await;
        reply(convert::diagnostics_response(answer))
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> RpcResult<pb::upgrade_resource_state::Response> {
        let request = Arc::new(request.into_inner());
        let answer = self.upgrade(Arc::clone(&request)).await;
        reply(convert::upgrade_resource_state_response(answer))
    }

    async fn configure_provider(
        &self,
        request: Request<pb::configure_provider::Request>,
    ) -> RpcResult<pb::configure_provider::Response> {
        let request = Arc::new(request.into_inner());
        let answer = self.configure(Arc::clone(&request)).await;
        reply(convert::diagnostics_response(answer))
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> RpcResult<pb::read_resource::Response> {
        let request = Arc::new(request.into_inner());
        let answer = self.read(Arc::clone(&request)).await;
        reply(convert::read_resource_response(answer, &request))
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> RpcResult<pb::plan_resource_change::Response> {
        let request = Arc::new(request.into_inner());
        let answer = self.plan(Arc::clone(&request)).await;
        reply(convert::plan_resource_change_response(answer, &request))
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> RpcResult<pb::apply_resource_change::Response> {
        let request = Arc::new(request.into_inner());
        let answer = self.apply(Arc::clone(&request)).await;
        reply(convert::apply_resource_change_response(answer, &request))
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> RpcResult<pb::import_resource_state::Response> {
        let request = Arc::new(request.into_inner());
        let answer = self.import(Arc::clone(&request)).await;
        reply(convert::import_resource_state_response(answer, &request))
    }

    async fn move_resource_state(
        &self,
        request: Request<pb::move_resource_state::Request>,
    ) -> RpcResult<pb::move_resource_state::Response> {
        let request = Arc::new(request.into_inner());
        let answer = self.move_state(Arc::clone(&request)).await;
        reply(convert::move_resource_state_response(answer))
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> RpcResult<pb::read_data_source::Response> {
        let request = Arc::new(request.into_inner());
        let answer = self.read_data(Arc::clone(&request)).await;
        reply(convert::read_data_source_response(answer))
    }

    async fn validate_ephemeral_resource_config(
        &self,
        request: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> RpcResult<pb::validate_ephemeral_resource_config::Response> {
        let request = Arc::new(request.into_inner());
        let answer = self.validate_ephemeral(Arc::clone(&request)).await;
        reply(convert::diagnostics_response(answer))
    }

    async fn open_ephemeral_resource(
        &self,
        request: Request<pb::open_ephemeral_resource::Request>,
    ) -> RpcResult<pb::open_ephemeral_resource::Response> {
        let request = Arc::new(request.into_inner());
        let answer = self.open_ephemeral(Arc::clone(&request)).await;
        reply(convert::open_ephemeral_resource_response(answer))
    }

    async fn renew_ephemeral_resource(
        &self,
        request: Request<pb::renew_ephemeral_resource::Request>,
    ) -> RpcResult<pb::renew_ephemeral_resource::Response> {
        let answer = self
            .ephemeral_resource(&request.get_ref().type_name)
            .map(|_| ((), Diagnostics::new()));
        reply(convert::renew_ephemeral_resource_response(
            answer.map_err(Diagnostics::from),
        ))
    }

    async fn close_ephemeral_resource(
        &self,
        request: Request<pb::close_ephemeral_resource::Request>,
    ) -> RpcResult<pb::close_ephemeral_resource::Response> {
        let request = Arc::new(request.into_inner());
        let answer = self.close_ephemeral(Arc::clone(&request)).await;
        reply(convert::diagnostics_response(answer))
    }

    async fn stop_provider(&self, _: Request<pb::stop_provider::Request>) -> RpcResult<pb::stop_provider::Response> {
        self.stop();
        reply(pb::stop_provider::Response { error: String::new() })
    }
}

/// The framework calls behind the RPCs, one per RPC, each answering with its result and
/// diagnostics or with diagnostics alone.
impl<P: Provider> ProviderService<P> {
    async fn validate_provider(&self, request: Arc<pb::validate_provider_config::Request>) -> Answer<()> {
        let config = self.provider_config(&request, |r| r.config.as_ref()).await?;
        let mut diags = Diagnostics::new();
        validate_config(&self.provider_schema.block, &config, &AttributePath::root(), &mut diags);
        self.provider.validate(&config, &mut diags);
        Ok(((), diags))
    }

    async fn validate_resource(&self, request: Arc<pb::validate_resource_config::Request>) -> Answer<()> {
        let resource = self.resource(&request.type_name)?;
        off_runtime(move || validated(request.config.as_ref(), resource.value_type(), |c| resource.validate(c))).await
    }

    async fn validate_data_source(&self, request: Arc<pb::validate_data_resource_config::Request>) -> Answer<()> {
        let source = self.data_source(&request.type_name)?;
        off_runtime(move || validated(request.config.as_ref(), source.value_type(), |c| source.validate(c))).await
    }

    /// The stored state in the current schema: the JSON Terraform kept, decoded leniently as the
    /// current type, then brought into shape by the resource's upgrade (states the official
    /// provider wrote under the same type name included). A state from a newer schema version
    /// is refused, as is Terraform 0.11's flatmap.
    async fn upgrade(&self, request: Arc<pb::upgrade_resource_state::Request>) -> Answer<pb::DynamicValue> {
        let resource = self.resource(&request.type_name)?;
        let version = resource.schema().version;
        if request.version > version {
            return Err(Diagnostic::error(
                "State from a newer provider",
                format!(
                    "The state of this {} was written by a newer provider (schema version {}, this provider knows {}). Upgrade the provider.",
                    Quoted(&request.type_name), request.version, version
                ),
            )
            .into());
        }
        off_runtime(move || {
            let stored = convert::raw_state(request.raw_state.as_ref(), resource.value_type())?;
            let state = resource.upgrade(request.version, stored)?;
            let upgraded = convert::to_dynamic_value(&state, resource.value_type(), "upgraded state")?;
            Ok((upgraded, Diagnostics::new()))
        })
        .await
    }

    /// Keeps the client the provider builds, for every later call that talks to the remote API,
    /// or, when the configuration is not yet known, the reason those calls fail. Either way the
    /// call succeeds with the provider's warnings, so a plan goes on.
    async fn configure(&self, request: Arc<pb::configure_provider::Request>) -> Answer<()> {
        let config = self.provider_config(&request, |r| r.config.as_ref()).await?;
        let (configured, diags) = self.provider.configure(&config, &request.terraform_version).await?;
        let client = match configured {
            Configured::Client(client) => Ok(Arc::new(client)),
            Configured::NotYetKnown(reason) => Err(reason),
        };
        *self.client.write().map_err(|_| poisoned())? = Some(client);
        Ok(((), diags))
    }

    async fn read(&self, request: Arc<pb::read_resource::Request>) -> Answer<pb::DynamicValue> {
        let resource = self.resource(&request.type_name)?;
        let ty = resource.value_type();
        let current = decode(&request, |r| r.current_state.as_ref(), ty, "current state").await?;
        let meta = self.provider_meta(&request, |r| r.provider_meta.as_ref()).await?;
        let cx = self.cx(&meta)?.with_private(request.private.clone());
        let (state, diags) = resource.read(&cx, &current).await;
        Ok((encode(state, ty, "new state").await?, diags))
    }

    /// The planned state and the paths whose change requires replacement.
    async fn plan(
        &self,
        request: Arc<pb::plan_resource_change::Request>,
    ) -> Answer<(pb::DynamicValue, Vec<AttributePath>)> {
        let resource = self.resource(&request.type_name)?;
        off_runtime(move || {
            let ty = resource.value_type();
            let prior = convert::dynamic_value(request.prior_state.as_ref(), ty, "prior state")?;
            let proposed = convert::dynamic_value(request.proposed_new_state.as_ref(), ty, "proposed state")?;
            let config = convert::dynamic_value(request.config.as_ref(), ty, "configuration")?;
            let (plan, diags) = resource.plan(&prior, &proposed, &config);
            let planned = convert::to_dynamic_value(&plan.planned, ty, "planned state")?;
            Ok(((planned, plan.requires_replace), diags))
        })
        .await
    }

    async fn apply(&self, request: Arc<pb::apply_resource_change::Request>) -> Answer<pb::DynamicValue> {
        let resource = self.resource(&request.type_name)?;
        let ty = resource.value_type();
        let prior = decode(&request, |r| r.prior_state.as_ref(), ty, "prior state").await?;
        let planned = decode(&request, |r| r.planned_state.as_ref(), ty, "planned state").await?;
        let meta = self.provider_meta(&request, |r| r.provider_meta.as_ref()).await?;
        let started = std::time::Instant::now();
        let (state, diags) = resource.apply(&self.cx(&meta)?, &prior, &planned).await;
        let operation = match (prior.is_null(), planned.is_null()) {
            (true, _) => "create",
            (false, true) => "delete",
            (false, false) => "update",
        };
        let known = if state.is_null() { &prior } else { &state };
        log_operation(
            operation,
            &request.type_name,
            &object_id(resource.schema(), known),
            started,
            &diags,
        );
        Ok((encode(state, ty, "new state").await?, diags))
    }

    /// The imported state; no result when the resource found nothing to import.
    async fn import(&self, request: Arc<pb::import_resource_state::Request>) -> Answer<pb::DynamicValue> {
        let resource = self.resource(&request.type_name)?;
        let started = std::time::Instant::now();
        let (state, diags) = resource.import(&self.cx(&Value::Null)?, &request.id).await;
        let id = if state.is_null() {
            request.id.clone()
        } else {
            object_id(resource.schema(), &state)
        };
        log_operation("import", &request.type_name, &id, started, &diags);
        if state.is_null() {
            return Err(diags);
        }
        Ok((encode(state, resource.value_type(), "imported state").await?, diags))
    }

    /// The state of another type, from a `moved` block, as `target_type_name`'s, with the
    /// private data to keep. Only the sources the target lists in its `moves_from` are taken;
    /// their stored JSON is decoded leniently as the source type of this provider and brought
    /// into its current shape by that type's upgrade before the target converts it. Every
    /// refusal names the moves this provider supports. Needs no configured client: Terraform
    /// asks a provider instance it never configured.
    async fn move_state(&self, request: Arc<pb::move_resource_state::Request>) -> Answer<(pb::DynamicValue, Vec<u8>)> {
        let target = self.resource(&request.target_type_name)?;
        let Some(from) = target
            .moves_from()
            .iter()
            .find(|from| from.provider == request.source_provider_address && from.type_name == request.source_type_name)
            .copied()
        else {
            return Err(self.unsupported_move(&request).into());
        };
        let source = self.resource(from.type_name)?;
        if request.source_schema_version > source.schema().version {
            return Err(Diagnostic::error(
                "State from a newer provider",
                format!(
                    "The state of {} was written by a newer provider (schema version {}, this provider knows {}). \
                     Upgrade the provider.",
                    Quoted(from.type_name),
                    request.source_schema_version,
                    source.schema().version
                ),
            )
            .into());
        }
        let started = std::time::Instant::now();
        let answer: Answer<(pb::DynamicValue, Vec<u8>, String)> = off_runtime(move || {
            let stored = convert::raw_state(request.source_state.as_ref(), source.value_type())?;
            if stored.is_null() {
                return Err(Diagnostic::error(
                    "Could not move the state",
                    format!("The stored state of the {} to move is empty.", Quoted(from.type_name)),
                )
                .into());
            }
            let current = source.upgrade(request.source_schema_version, stored)?;
            let moved = target.move_state(crate::framework::MoveSource {
                from,
                schema_version: request.source_schema_version,
                state: current,
                private: &request.source_private,
            })?;
            let state = convert::to_dynamic_value(&moved.state, target.value_type(), "moved state")?;
            let id = object_id(target.schema(), &moved.state);
            Ok(((state, moved.private, id), Diagnostics::new()))
        })
        .await;
        let (id, diags) = match &answer {
            Ok(((_, _, id), diags)) => (id.clone(), diags.clone()),
            Err(diags) => (String::new(), diags.clone()),
        };
        log_operation("move", from.type_name, &id, started, &diags);
        answer.map(|((state, private, _), diags)| ((state, private), diags))
    }

    /// Why a move Terraform asks for is refused: what it asked, and every move this provider
    /// supports.
    fn unsupported_move(&self, request: &pb::move_resource_state::Request) -> Diagnostic {
        let supported: Vec<String> = self
            .resources
            .iter()
            .flat_map(|(name, resource)| {
                resource
                    .moves_from()
                    .iter()
                    .map(move |from| format!("from {} (written by {}) to {name}", from.type_name, from.provider))
            })
            .collect();
        let offered = if supported.is_empty() {
            "This provider supports no moves between resource types.".to_string()
        } else {
            format!(
                "This provider supports only these moves between resource types: {}.",
                supported.join("; ")
            )
        };
        Diagnostic::error(
            "Unsupported move between resource types",
            format!(
                "A moved block asks to move a {} of provider {} to {}. {offered} To manage another object \
                 with a different resource type, remove it from state (a removed block with destroy = false) and \
                 import it.",
                Quoted(&request.source_type_name),
                Quoted(&request.source_provider_address),
                Quoted(&request.target_type_name),
            ),
        )
    }

    /// The data source's state; no result when reading it failed.
    async fn read_data(&self, request: Arc<pb::read_data_source::Request>) -> Answer<pb::DynamicValue> {
        let data_source = self.data_source(&request.type_name)?;
        let ty = data_source.value_type();
        let config = decode(&request, |r| r.config.as_ref(), ty, "configuration").await?;
        let meta = self.provider_meta(&request, |r| r.provider_meta.as_ref()).await?;
        let (state, diags) = data_source.read(&self.cx(&meta)?, &config).await;
        let diags = diags.into_result()?;
        Ok((encode(state, ty, "data source state").await?, diags))
    }

    async fn validate_ephemeral(&self, request: Arc<pb::validate_ephemeral_resource_config::Request>) -> Answer<()> {
        let ephemeral = self.ephemeral_resource(&request.type_name)?;
        off_runtime(move || {
            validated(request.config.as_ref(), ephemeral.value_type(), |c| {
                ephemeral.validate(c)
            })
        })
        .await
    }

    /// The opened object's result and private data. Terraform opens only wholly known
    /// configurations, after configuring the provider; the request carries no `provider_meta`.
    async fn open_ephemeral(
        &self,
        request: Arc<pb::open_ephemeral_resource::Request>,
    ) -> Answer<(pb::DynamicValue, Vec<u8>)> {
        let ephemeral = self.ephemeral_resource(&request.type_name)?;
        let ty = ephemeral.value_type();
        let config = decode(&request, |r| r.config.as_ref(), ty, "configuration").await?;
        let started = std::time::Instant::now();
        let (opened, diags) = ephemeral.open(&self.cx(&Value::Null)?, &config).await;
        let id = opened
            .as_ref()
            .map(|(result, _)| object_id(ephemeral.schema(), result))
            .unwrap_or_default();
        log_operation("open", &request.type_name, &id, started, &diags);
        let Some((result, private)) = opened else {
            return Err(diags);
        };
        if let Ok(mut unclosed) = self.unclosed.lock() {
            unclosed.push((request.type_name.clone(), private.clone()));
        }
        Ok(((encode(result, ty, "ephemeral result").await?, private), diags))
    }

    /// Closes what an open returned. StopProvider does not cancel a close: after Ctrl-C
    /// Terraform still closes what it opened, and an interrupted delete would leave the object.
    async fn close_ephemeral(&self, request: Arc<pb::close_ephemeral_resource::Request>) -> Answer<()> {
        let ephemeral = self.ephemeral_resource(&request.type_name)?;
        let started = std::time::Instant::now();
        let private = request.private.as_deref().unwrap_or_default();
        if let Ok(mut unclosed) = self.unclosed.lock() {
            if let Some(at) = unclosed
                .iter()
                .position(|(type_name, p)| *type_name == request.type_name && p.as_slice() == private)
            {
                unclosed.remove(at);
            }
        }
        let diags = ephemeral.close(&self.uncancelled_cx()?, private).await;
        log_operation("close", &request.type_name, "", started, &diags);
        Ok(((), diags))
    }

    /// Closes every ephemeral object opened in this process that Terraform did not close, all
    /// at once and within `deadline`; called at go-plugin's Shutdown, which Terraform sends
    /// (and then kills the process 2 s later) also when it skipped a close because something
    /// that used the object failed or was interrupted. Each outcome is logged (at warn when the
    /// object is closed, at error naming it when not); nothing else can reach the user then.
    pub async fn close_unclosed(&self, deadline: std::time::Duration) {
        let unclosed = self
            .unclosed
            .lock()
            .map(|mut u| std::mem::take(&mut *u))
            .unwrap_or_default();
        if unclosed.is_empty() {
            return;
        }
        let Ok(cx) = self.uncancelled_cx() else {
            tracing::error!(
                count = unclosed.len(),
                "ephemeral objects left open, and the provider is not configured to close them"
            );
            return;
        };
        let closes = unclosed.iter().map(|(type_name, private)| {
            let cx = &cx;
            async move {
                let Ok(ephemeral) = self.ephemeral_resource(type_name) else {
                    return;
                };
                let diags = ephemeral.close(cx, private).await;
                let error = diags.iter().find(|d| d.severity == crate::framework::diag::Severity::Error);
                match error {
                    None => tracing::warn!(type_name = %type_name, "closed an ephemeral object Terraform did not close (something that used it failed or was interrupted)"),
                    Some(error) => tracing::error!(type_name = %type_name, summary = %error.summary, detail = %error.detail, "could not close an ephemeral object Terraform did not close"),
                }
            }
        });
        if tokio::time::timeout(deadline, futures::future::join_all(closes))
            .await
            .is_err()
        {
            tracing::error!(count = unclosed.len(), "closing the ephemeral objects Terraform did not close took longer than {} ms; their marked descriptions or names find any left", deadline.as_millis());
        }
    }

    /// Cancels the calls in flight; later calls get a fresh token, and the server keeps serving.
    fn stop(&self) {
        if let Ok(mut token) = self.stop.lock() {
            token.cancel();
            *token = CancellationToken::new();
        }
        tracing::info!("StopProvider: cancelled operations in flight");
    }

    /// Decodes the provider block that `pick` finds in `request`, off the runtime.
    async fn provider_config<R: Send + Sync + 'static>(
        &self,
        request: &Arc<R>,
        pick: fn(&R) -> Option<&pb::DynamicValue>,
    ) -> Result<Value, Diagnostic> {
        decode(request, pick, &self.provider_type, "provider configuration").await
    }

    /// Decodes the calling module's `provider_meta` that `pick` finds in `request`: null when
    /// the provider has no meta schema, or when the request carries none (Terraform sends msgpack
    /// nil for a module without the block; other clients may leave the field out).
    async fn provider_meta<R: Send + Sync + 'static>(
        &self,
        request: &Arc<R>,
        pick: fn(&R) -> Option<&pb::DynamicValue>,
    ) -> Result<Value, Diagnostic> {
        let Some((_, ty)) = &self.meta else {
            return Ok(Value::Null);
        };
        match pick(request) {
            Some(meta) if !meta.msgpack.is_empty() || !meta.json.is_empty() => {
                decode(request, pick, ty, "provider_meta").await
            }
            _ => Ok(Value::Null),
        }
    }

    fn resource(&self, type_name: &str) -> Result<Arc<dyn DynResource<P::Client>>, Diagnostic> {
        self.resources
            .get(type_name)
            .cloned()
            .ok_or_else(|| unknown_type("resource", type_name))
    }

    fn data_source(&self, type_name: &str) -> Result<Arc<dyn DynDataSource<P::Client>>, Diagnostic> {
        self.data_sources
            .get(type_name)
            .cloned()
            .ok_or_else(|| unknown_type("data source", type_name))
    }

    fn ephemeral_resource(&self, type_name: &str) -> Result<Arc<dyn DynEphemeralResource<P::Client>>, Diagnostic> {
        self.ephemeral_resources
            .get(type_name)
            .cloned()
            .ok_or_else(|| unknown_type("ephemeral resource", type_name))
    }

    /// The context for a call that talks to the remote API: the configured client bound to a
    /// child of the stop token and to the module's `provider_meta` (`meta`, null when none).
    /// An error before ConfigureProvider succeeded, and the provider's own diagnostic while its
    /// configuration is not yet known.
    fn cx(&self, meta: &Value) -> Result<Cx<P::Client>, Diagnostic> {
        let cancel = self.stop.lock().map(|token| token.child_token()).unwrap_or_default();
        self.cx_cancelled_by(meta, cancel)
    }

    /// A call context whose client and operation stop when `cancel` is cancelled.
    fn cx_cancelled_by(&self, meta: &Value, cancel: CancellationToken) -> Result<Cx<P::Client>, Diagnostic> {
        let client = self.client.read().map_err(|_| poisoned())?;
        let client = match client.as_ref() {
            Some(Ok(client)) => client,
            Some(Err(not_yet_known)) => return Err(not_yet_known.clone()),
            None => {
                return Err(Diagnostic::error(
                    "Provider not configured",
                    "The provider was used before its configuration succeeded; see the provider configuration errors above.",
                ))
            }
        };
        Ok(Cx::new(P::client_for_call(client, &cancel, meta), cancel))
    }

    /// A context like [`Self::cx`] (without `provider_meta`) that StopProvider does not cancel.
    fn uncancelled_cx(&self) -> Result<Cx<P::Client>, Diagnostic> {
        self.cx_cancelled_by(&Value::Null, CancellationToken::new())
    }
}

/// At Shutdown, closes the ephemeral objects Terraform opened and never closed.
#[async_trait::async_trait]
impl<P: Provider> crate::tfplugin::OnShutdown for ProviderService<P> {
    async fn on_shutdown(&self, deadline: std::time::Duration) {
        self.close_unclosed(deadline).await;
    }
}

/// The ID a log line names an object by: its `id` attribute when the schema has one, else its
/// `*_id` and `*_name` attributes in schema order joined by `/` (the import ID's shape of the
/// types without `id`, such as `<project_id>/<api_key_id>`). Empty when none is known yet.
fn object_id(schema: &Schema, state: &Value) -> String {
    let attributes = &schema.block.attributes;
    if attributes.iter().any(|a| a.name == "id") {
        return state.get("id").as_str().unwrap_or_default().to_owned();
    }
    attributes
        .iter()
        .filter(|a| a.name.ends_with("_id") || a.name.ends_with("_name"))
        .filter_map(|a| state.get(&a.name).as_str())
        .collect::<Vec<_>>()
        .join("/")
}

/// One line per create, update, delete, import, and ephemeral open and close, with the resource type, the object's ID
/// (see [`object_id`]) and the time the call took in milliseconds: at info when it succeeded,
/// at warn when it ended with an error diagnostic (the diagnostic itself goes to Terraform,
/// which shows it; the line says only that and how long it took). Never a secret: IDs only.
fn log_operation(operation: &str, type_name: &str, id: &str, started: std::time::Instant, diags: &Diagnostics) {
    let duration_ms = started.elapsed().as_millis() as u64;
    if diags.has_errors() {
        tracing::warn!(
            operation,
            resource = type_name,
            id,
            duration_ms,
            "{type_name} {operation} failed"
        );
    } else {
        tracing::info!(
            operation,
            resource = type_name,
            id,
            duration_ms,
            "{type_name} {operation} done"
        );
    }
}

fn reply<T>(response: T) -> RpcResult<T> {
    Ok(Response::new(response))
}

/// Terraform asked for a type this provider never announced.
fn unknown_type(kind: &str, type_name: &str) -> Diagnostic {
    Diagnostic::bug(
        format!("Unknown {kind} type"),
        format!("Terraform asked for {}", Quoted(type_name)),
    )
}

fn poisoned() -> Diagnostic {
    Diagnostic::bug("Provider state is poisoned", "a lock was poisoned")
}

/// Runs CPU-bound work (decoding, validating, planning or encoding values, which takes a while
/// for sets of tens of thousands of elements) on tokio's blocking pool, so it never holds one
/// of the runtime's few worker threads and `StopProvider` and other calls are answered
/// meanwhile. A panic in `work` becomes a diagnostic.
async fn off_runtime<T, E>(work: impl FnOnce() -> Result<T, E> + Send + 'static) -> Result<T, E>
where
    T: Send + 'static,
    E: From<Diagnostic> + Send + 'static,
{
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(err) => Err(Diagnostic::bug("The provider failed while handling values", err).into()),
    }
}

/// Decodes the value `pick` finds in `request` as `ty`, off the runtime; `what` names it in
/// errors. See [`convert::dynamic_value`].
async fn decode<R: Send + Sync + 'static>(
    request: &Arc<R>,
    pick: fn(&R) -> Option<&pb::DynamicValue>,
    ty: &Type,
    what: &'static str,
) -> Result<Value, Diagnostic> {
    let (request, ty) = (Arc::clone(request), ty.clone());
    off_runtime(move || convert::dynamic_value(pick(&request), &ty, what)).await
}

/// Decodes `config` as `ty` and checks it with `validate`; the work of the validate calls.
fn validated(config: Option<&pb::DynamicValue>, ty: &Type, validate: impl FnOnce(&Value) -> Diagnostics) -> Answer<()> {
    let config = convert::dynamic_value(config, ty, "configuration")?;
    Ok(((), validate(&config)))
}

/// Encodes `value` as `ty` off the runtime; see [`convert::to_dynamic_value`].
async fn encode(value: Value, ty: &Type, what: &'static str) -> Result<pb::DynamicValue, Diagnostic> {
    let ty = ty.clone();
    off_runtime(move || convert::to_dynamic_value(&value, &ty, what)).await
}
