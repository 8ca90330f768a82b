//! The traits a provider, its resources and its data sources implement.
//!
//! Resources work on typed state (serde structs, null and unknown as `None`); the
//! adapters here turn them into the value-level [`DynResource`] and [`DynDataSource`]
//! the protocol layer calls, adding schema validation, the generic plan rules and the
//! "never lose what was created" rule for applies. Import is an optional capability:
//! the default `import` says the type cannot be imported.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::framework::diag::{Diagnostic, Diagnostics};
use crate::framework::plan::{plan_change, Plan};
use crate::framework::schema::{validate_config, Schema};
use crate::value::{self, AttributePath, Type, Value};

/// Per-call context: the configured provider client and the call's cancellation.
pub struct Cx<C> {
    pub client: Arc<C>,
    /// Cancelled when Terraform calls StopProvider (Ctrl-C).
    pub cancel: CancellationToken,
}

/// A secret string: serialises as itself, but `Debug` never shows it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sensitive(String);

impl Sensitive {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Sensitive(secret.into())
    }

    /// The secret itself; callers must not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// What an apply or import produced: the state to keep, even alongside errors, so that an
/// object created before a later step failed stays tracked by Terraform.
pub struct Outcome<S> {
    pub state: Option<S>,
    pub diags: Diagnostics,
}

impl<S> Outcome<S> {
    /// A clean success.
    pub fn ok(state: S) -> Self {
        Outcome {
            state: Some(state),
            diags: Diagnostics::new(),
        }
    }

    /// A failure that leaves nothing new to track.
    pub fn failed(diags: impl Into<Diagnostics>) -> Self {
        Outcome {
            state: None,
            diags: diags.into(),
        }
    }

    /// A failure after something was created or changed: keep `state`.
    pub fn partial(state: S, diags: impl Into<Diagnostics>) -> Self {
        Outcome {
            state: Some(state),
            diags: diags.into(),
        }
    }
}

/// A managed resource with typed state.
///
/// Optional capabilities have defaults: `validate` and `modify_plan` do nothing more than the
/// schema declares, and `import` is unsupported.
#[async_trait]
pub trait Resource: Send + Sync + 'static {
    type Client: Send + Sync + 'static;
    type State: Serialize + DeserializeOwned + Send + Sync + 'static;
    /// The type name without the provider prefix, e.g. `api_key`.
    const NAME: &'static str;

    fn schema() -> Schema;

    /// Plan-time checks beyond the schema's validators. `config` may hold unknown values,
    /// which must be skipped.
    fn validate(_config: &Value, _diags: &mut Diagnostics) {}

    /// Adjusts a non-destroy plan after the generic rules ran.
    fn modify_plan(_prior: &Value, _config: &Value, _plan: &mut Plan, _diags: &mut Diagnostics) {}

    async fn create(&self, cx: &Cx<Self::Client>, planned: Self::State) -> Outcome<Self::State>;

    /// `Ok(None)` only when the remote object is genuinely gone.
    async fn read(&self, cx: &Cx<Self::Client>, prior: Self::State) -> Result<Option<Self::State>, Diagnostics>;

    async fn update(&self, cx: &Cx<Self::Client>, prior: Self::State, planned: Self::State) -> Outcome<Self::State>;

    async fn delete(&self, cx: &Cx<Self::Client>, prior: Self::State) -> Result<(), Diagnostics>;

    /// Turns an import ID into a state Terraform then refreshes with `read`.
    async fn import(&self, _cx: &Cx<Self::Client>, _id: &str) -> Outcome<Self::State> {
        Outcome::failed(Diagnostic::error(
            "Import not supported",
            format!("The resource type {} cannot be imported.", Self::NAME),
        ))
    }
}

/// A data source with typed config and state.
#[async_trait]
pub trait DataSource: Send + Sync + 'static {
    type Client: Send + Sync + 'static;
    type State: Serialize + DeserializeOwned + Send + Sync + 'static;
    const NAME: &'static str;

    fn schema() -> Schema;

    fn validate(_config: &Value, _diags: &mut Diagnostics) {}

    async fn read(&self, cx: &Cx<Self::Client>, config: Self::State) -> Result<Self::State, Diagnostics>;
}

/// The value-level view of a resource that the protocol layer calls.
#[async_trait]
pub trait DynResource<C>: Send + Sync {
    fn name(&self) -> &'static str;
    fn schema(&self) -> &Schema;
    fn value_type(&self) -> &Type;
    fn validate(&self, config: &Value) -> Diagnostics;
    fn plan(&self, prior: &Value, proposed: &Value, config: &Value) -> (Plan, Diagnostics);
    /// Create, update or delete, decided by which of `prior` and `planned` is null. The
    /// returned value is what Terraform must store, also when there are errors.
    async fn apply(&self, cx: &Cx<C>, prior: &Value, planned: &Value) -> (Value, Diagnostics);
    /// The refreshed state; null when the object is gone; `prior` on errors.
    async fn read(&self, cx: &Cx<C>, prior: &Value) -> (Value, Diagnostics);
    async fn import(&self, cx: &Cx<C>, id: &str) -> (Value, Diagnostics);
}

/// The value-level view of a data source.
#[async_trait]
pub trait DynDataSource<C>: Send + Sync {
    fn name(&self) -> &'static str;
    fn schema(&self) -> &Schema;
    fn value_type(&self) -> &Type;
    fn validate(&self, config: &Value) -> Diagnostics;
    async fn read(&self, cx: &Cx<C>, config: &Value) -> (Value, Diagnostics);
}

/// A provider: its own schema and configuration, and the types it serves.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    type Client: Send + Sync + 'static;
    /// Prefix of every type name, e.g. `mongodbatlas`.
    const TYPE_PREFIX: &'static str;

    fn schema(&self) -> Schema;

    /// Plan-time checks of the provider block; `config` may hold unknown values.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Builds the client every resource call uses from the provider block `config` (which may
    /// hold unknown values: Terraform configures during plan too) and Terraform's version
    /// (`1.11.4`, from `ConfigureProvider`).
    ///
    /// `Err` holds at least one error, each shown by Terraform under the provider block; the
    /// calls that need the client then fail with "Provider not configured".
    async fn configure(&self, config: &Value, terraform_version: &str) -> Result<Self::Client, Diagnostics>;

    fn resources(&self) -> Vec<Arc<dyn DynResource<Self::Client>>>;
    fn data_sources(&self) -> Vec<Arc<dyn DynDataSource<Self::Client>>>;

    /// The client one call uses, bound to the call's cancellation so StopProvider ends its
    /// requests promptly. The default shares the configured client unchanged.
    fn client_for_call(client: &Arc<Self::Client>, _cancel: &CancellationToken) -> Arc<Self::Client> {
        Arc::clone(client)
    }
}

/// Wraps a typed resource for the registry.
pub fn resource<R: Resource>(resource: R) -> Arc<dyn DynResource<R::Client>> {
    let schema = R::schema();
    let value_type = schema.value_type();
    Arc::new(ResourceAdapter {
        resource,
        schema,
        value_type,
    })
}

/// Wraps a typed data source for the registry.
pub fn data_source<D: DataSource>(data_source: D) -> Arc<dyn DynDataSource<D::Client>> {
    let schema = D::schema();
    let value_type = schema.value_type();
    Arc::new(DataSourceAdapter {
        data_source,
        schema,
        value_type,
    })
}

struct ResourceAdapter<R> {
    resource: R,
    schema: Schema,
    value_type: Type,
}

struct DataSourceAdapter<D> {
    data_source: D,
    schema: Schema,
    value_type: Type,
}

#[async_trait]
impl<R: Resource> DynResource<R::Client> for ResourceAdapter<R> {
    fn name(&self) -> &'static str {
        R::NAME
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn value_type(&self) -> &Type {
        &self.value_type
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        validate_with(&self.schema, config, R::validate)
    }

    fn plan(&self, prior: &Value, proposed: &Value, config: &Value) -> (Plan, Diagnostics) {
        let mut plan = plan_change(&self.schema, prior, proposed, config);
        let mut diags = Diagnostics::new();
        if !plan.planned.is_null() {
            R::modify_plan(prior, config, &mut plan, &mut diags);
        }
        (plan, diags)
    }

    async fn apply(&self, cx: &Cx<R::Client>, prior: &Value, planned: &Value) -> (Value, Diagnostics) {
        if planned.is_null() {
            let prior_state = match decode::<R::State>(prior, "prior state") {
                Ok(state) => state,
                Err(diag) => return (prior.clone(), diag.into()),
            };
            return match self.resource.delete(cx, prior_state).await {
                Ok(()) => (Value::Null, Diagnostics::new()),
                Err(diags) => (prior.clone(), diags),
            };
        }
        let planned_state = match decode::<R::State>(planned, "planned state") {
            Ok(state) => state,
            Err(diag) => return (prior.clone(), diag.into()),
        };
        let outcome = if prior.is_null() {
            self.resource.create(cx, planned_state).await
        } else {
            match decode::<R::State>(prior, "prior state") {
                Ok(prior_state) => self.resource.update(cx, prior_state, planned_state).await,
                Err(diag) => return (prior.clone(), diag.into()),
            }
        };
        self.encode_outcome(outcome, prior)
    }

    async fn read(&self, cx: &Cx<R::Client>, prior: &Value) -> (Value, Diagnostics) {
        let prior_state = match decode::<R::State>(prior, "prior state") {
            Ok(state) => state,
            Err(diag) => return (prior.clone(), diag.into()),
        };
        match self.resource.read(cx, prior_state).await {
            Ok(Some(state)) => self.encode_outcome(Outcome::ok(state), prior),
            Ok(None) => (Value::Null, Diagnostics::new()),
            Err(diags) => (prior.clone(), diags),
        }
    }

    async fn import(&self, cx: &Cx<R::Client>, id: &str) -> (Value, Diagnostics) {
        let outcome = self.resource.import(cx, id).await;
        self.encode_outcome(outcome, &Value::Null)
    }
}

impl<R: Resource> ResourceAdapter<R> {
    /// Encodes the outcome's state, falling back to `fallback` when there is none. Values the
    /// resource left unset become null, because Terraform rejects unknowns after apply.
    fn encode_outcome(&self, outcome: Outcome<R::State>, fallback: &Value) -> (Value, Diagnostics) {
        let mut diags = outcome.diags;
        let Some(state) = outcome.state else {
            return (fallback.clone(), diags);
        };
        match value::to_value(&state, &self.value_type) {
            Ok(value) => (value.null_unknowns(), diags),
            Err(err) => {
                diags.push(Diagnostic::bug("Could not encode the new state", err));
                (fallback.clone(), diags)
            }
        }
    }
}

#[async_trait]
impl<D: DataSource> DynDataSource<D::Client> for DataSourceAdapter<D> {
    fn name(&self) -> &'static str {
        D::NAME
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn value_type(&self) -> &Type {
        &self.value_type
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        validate_with(&self.schema, config, D::validate)
    }

    async fn read(&self, cx: &Cx<D::Client>, config: &Value) -> (Value, Diagnostics) {
        let config_state = match decode::<D::State>(config, "configuration") {
            Ok(state) => state,
            Err(diag) => return (Value::Null, diag.into()),
        };
        match self.data_source.read(cx, config_state).await {
            Ok(state) => match value::to_value(&state, &self.value_type) {
                Ok(value) => (value.null_unknowns(), Diagnostics::new()),
                Err(err) => (
                    Value::Null,
                    Diagnostic::bug("Could not encode the data source", err).into(),
                ),
            },
            Err(diags) => (Value::Null, diags),
        }
    }
}

/// The schema's validators, then the type's own checks.
fn validate_with(schema: &Schema, config: &Value, checks: fn(&Value, &mut Diagnostics)) -> Diagnostics {
    let mut diags = Diagnostics::new();
    validate_config(&schema.block, config, &AttributePath::root(), &mut diags);
    checks(config, &mut diags);
    diags
}

fn decode<T: DeserializeOwned>(value: &Value, what: &str) -> Result<T, Diagnostic> {
    value::from_value(value).map_err(|err| Diagnostic::bug(format!("Could not decode the {what}"), err))
}
