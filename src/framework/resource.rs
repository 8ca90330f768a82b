//! The traits a provider, its resources and its data sources implement.
//!
//! Resources work on typed state (serde structs, null and unknown as `None`); the
//! adapters here turn them into the value-level [`DynResource`] and [`DynDataSource`]
//! the protocol layer calls, adding schema validation, the generic plan rules and the
//! "never lose what was created" rule for applies. Import, state upgrade and moves between
//! types are optional capabilities: the default `import` says the type cannot be imported, the
//! default `upgrade` keeps the stored state as it is, and a type with no [`Resource::MOVES_FROM`]
//! takes over no other type's state.

use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::framework::diag::{Diagnostic, Diagnostics};
use crate::framework::plan::{plan_change, Plan};
use crate::framework::schema::{validate_config, Schema};
use crate::value::{self, AttributePath, Type, Value};

/// Per-call context: the configured provider client, the call's cancellation, and the
/// warnings the operation wants shown next to its result.
pub struct Cx<C> {
    pub client: Arc<C>,
    /// Cancelled when Terraform calls StopProvider (Ctrl-C).
    pub cancel: CancellationToken,
    warnings: Mutex<Diagnostics>,
    /// The private data Terraform keeps with the object, as the call's request carried it.
    private: Vec<u8>,
}

impl<C> Cx<C> {
    /// A context for one call.
    pub fn new(client: Arc<C>, cancel: CancellationToken) -> Self {
        Cx {
            client,
            cancel,
            warnings: Mutex::new(Diagnostics::new()),
            private: Vec::new(),
        }
    }

    /// This context with the private data Terraform keeps with the object (the request's
    /// `private`, as a read gets it; empty when none).
    pub fn with_private(mut self, private: Vec<u8>) -> Self {
        self.private = private;
        self
    }

    /// The private data Terraform keeps with the object: what [`Resource::move_state`] left
    /// there (see [`Moved::private`]), or another provider's bytes, or empty. Only reads get it.
    pub fn private(&self) -> &[u8] {
        &self.private
    }

    /// Adds a warning (or any diagnostic) to the call's answer, whatever the operation returns.
    pub fn warn(&self, diagnostic: Diagnostic) {
        if let Ok(mut warnings) = self.warnings.lock() {
            warnings.push(diagnostic);
        }
    }

    /// The diagnostics added with [`Cx::warn`] so far, leaving none behind.
    pub fn take_warnings(&self) -> Diagnostics {
        self.warnings
            .lock()
            .map(|mut w| std::mem::take(&mut *w))
            .unwrap_or_default()
    }
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

/// Why a create or update failed: its diagnostics, and the state to keep when something was
/// already created or changed, so that it stays tracked by Terraform.
///
/// Converts from a [`Diagnostic`] or [`Diagnostics`] (nothing to keep), so `?` works on the
/// results of `or_diagnose`.
#[derive(Debug)]
pub struct Failed<S> {
    pub state: Option<S>,
    pub diags: Diagnostics,
}

impl<S> Failed<S> {
    /// A failure after `state` was reached remotely: Terraform keeps `state` (and marks a new
    /// object tainted).
    pub fn keeping(state: S, diags: impl Into<Diagnostics>) -> Self {
        Failed {
            state: Some(state),
            diags: diags.into(),
        }
    }
}

impl<S> From<Diagnostic> for Failed<S> {
    fn from(diagnostic: Diagnostic) -> Self {
        Failed {
            state: None,
            diags: diagnostic.into(),
        }
    }
}

impl<S> From<Diagnostics> for Failed<S> {
    fn from(diags: Diagnostics) -> Self {
        Failed { state: None, diags }
    }
}

/// What a create or update returns: the new state, or why not (with what to keep).
pub type Applied<S> = Result<S, Failed<S>>;

/// A resource type whose state a type can take over through a `moved` block whose `from` is of
/// that type (Terraform's `MoveResourceState`, protocol 6.5, Terraform 1.8 and later).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MoveFrom {
    /// The provider that wrote the state, as Terraform records it:
    /// `registry.terraform.io/mongodb/mongodbatlas`.
    pub provider: &'static str,
    /// The full type name, e.g. `mongodbatlas_project_api_key`. This provider must serve a
    /// type of that name: its schema and upgrade read the stored state.
    pub type_name: &'static str,
}

/// The state Terraform asks a type to take over, from a `moved` block whose `from` is another
/// type, already brought into the source type's current shape.
#[derive(Debug)]
pub struct MoveSource<'a> {
    /// What the state was written by and as; one of the target's [`Resource::MOVES_FROM`].
    pub from: MoveFrom,
    /// The schema version the state was written under (the official provider's or ours).
    pub schema_version: i64,
    /// The stored state as the source type's current schema has it: Terraform's JSON decoded
    /// leniently as that type and upgraded by that type's own `upgrade`, so every historical
    /// shape arrives in one.
    pub state: Value,
    /// The private data the source object kept (for the official provider's SDKv2 types,
    /// `{"schema_version":"0"}`; for ours, empty unless a move left some).
    pub private: &'a [u8],
}

/// What a move produces: the target type's state and the private data Terraform keeps with it.
#[derive(Debug)]
pub struct Moved {
    /// The state, a value of the target type's schema with no unknowns. Terraform refreshes
    /// it (UpgradeResourceState, then ReadResource) before planning, so attributes only the
    /// remote API knows may be left for `read` to fill.
    pub state: Value,
    /// Handed to the next `read` as [`Cx::private`] and kept by Terraform with the object;
    /// empty for none.
    pub private: Vec<u8>,
}

/// A managed resource with typed state.
///
/// Optional capabilities have defaults: `validate` and `modify_plan` do nothing more than the
/// schema declares, `import` is unsupported, `upgrade` keeps the stored state, and no other
/// type's state can be moved in.
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

    /// Creates the object. Warnings go through [`Cx::warn`].
    async fn create(&self, cx: &Cx<Self::Client>, planned: Self::State) -> Applied<Self::State>;

    /// `Ok(None)` only when the remote object is genuinely gone.
    async fn read(&self, cx: &Cx<Self::Client>, prior: Self::State) -> Result<Option<Self::State>, Diagnostics>;

    /// Changes the object from the refreshed `prior` state to `planned`.
    async fn update(&self, cx: &Cx<Self::Client>, prior: Self::State, planned: Self::State) -> Applied<Self::State>;

    async fn delete(&self, cx: &Cx<Self::Client>, prior: Self::State) -> Result<(), Diagnostics>;

    /// Turns an import ID into a state Terraform then refreshes with `read`.
    async fn import(&self, _cx: &Cx<Self::Client>, _id: &str) -> Result<Self::State, Diagnostics> {
        Err(Diagnostic::error(
            "Import not supported",
            format!("The resource type {} cannot be imported.", Self::NAME),
        )
        .into())
    }

    /// Brings a stored state into the current schema's shape. Terraform asks for it for every
    /// resource in state on every run, also when nothing changed, before the first `read`, so
    /// it must leave a state already in the current shape as it is.
    ///
    /// `stored` is the JSON Terraform kept in `terraform.tfstate`, decoded as the current
    /// schema's type the lenient way: attributes the type lacks are dropped, missing ones are
    /// null, and a list or set of blocks is never null (empty instead). `version` is the schema
    /// version it was written under, never above [`Schema::version`]. States another provider
    /// wrote under the same type name (the official provider's) arrive here too; fill what can
    /// be computed from the state alone and leave the rest null for `read`.
    ///
    /// Pure: no remote calls (Terraform may ask before the provider is configured). The result
    /// must decode as [`Resource::State`], or the upgrade fails with a diagnostic. The default
    /// keeps `stored`.
    fn upgrade(_version: i64, stored: Value) -> Result<Value, Diagnostics> {
        Ok(stored)
    }

    /// The other types whose state [`Resource::move_state`] takes over; none by default.
    const MOVES_FROM: &'static [MoveFrom] = &[];

    /// Turns the state of another type (one of [`Resource::MOVES_FROM`]; the protocol layer
    /// refuses the others) into this type's, for a `moved` block whose `from` is of that type.
    ///
    /// Pure: Terraform asks a provider instance it never configured, before the plan, so no
    /// remote call is possible. Terraform then refreshes the result with `read` in the same
    /// plan (unless `-refresh=false`), so what only the remote API knows may be left for
    /// `read`, with a hint in [`Moved::private`]. The result must decode as [`Resource::State`], or the move
    /// fails with a diagnostic. Errors say what is missing and what to do instead.
    fn move_state(source: MoveSource<'_>) -> Result<Moved, Diagnostics> {
        Err(Diagnostic::bug(
            "Move not implemented",
            format!(
                "{} lists {} in MOVES_FROM but has no move_state",
                Self::NAME,
                source.from.type_name
            ),
        )
        .into())
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
    /// The stored state `stored` (Terraform's JSON decoded leniently as [`DynResource::value_type`],
    /// written under schema `version`) in the current schema; see [`Resource::upgrade`]. A null
    /// `stored` stays null. Errors when the upgraded state does not fit the state type.
    fn upgrade(&self, version: i64, stored: Value) -> Result<Value, Diagnostics>;
    /// The types whose state this one takes over; see [`Resource::MOVES_FROM`].
    fn moves_from(&self) -> &'static [MoveFrom];
    /// Another type's state as this type's; see [`Resource::move_state`]. Errors when the
    /// result does not fit the state type.
    fn move_state(&self, source: MoveSource<'_>) -> Result<Moved, Diagnostics>;
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

/// What [`Provider::configure`] built from a provider block.
pub enum Configured<C> {
    /// The client every later call uses.
    Client(C),
    /// The block depends on values known only after apply (Terraform configures providers
    /// during plan with such values). Calls that need no client, such as planning, go on;
    /// every call that needs the client fails with this diagnostic, which names the arguments
    /// not yet known, until Terraform configures again with known values.
    NotYetKnown(Diagnostic),
}

/// A provider: its own schema and configuration, and the types it serves.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    type Client: Send + Sync + 'static;
    /// Prefix of every type name, e.g. `mongodbatlas`.
    const TYPE_PREFIX: &'static str;

    fn schema(&self) -> Schema;

    /// The schema of the `provider_meta "<prefix>"` block a module may declare in its
    /// `terraform` block; `None` (the default) when the provider reads no module metadata.
    /// Terraform checks the block against it and sends its value with each call's
    /// `provider_meta` (see [`Provider::client_for_call`]).
    fn meta_schema(&self) -> Option<Schema> {
        None
    }

    /// Plan-time checks of the provider block; `config` may hold unknown values. Warnings
    /// pushed here are shown under the provider block.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Builds the client every resource call uses from the provider block `config` and
    /// Terraform's version (`1.11.4`, from `ConfigureProvider`).
    ///
    /// `config` may hold unknown values: Terraform configures during plan too, before the
    /// resources they come from exist. A provider that cannot build its client from such a
    /// block answers [`Configured::NotYetKnown`] rather than an error, so the plan goes on.
    ///
    /// `Ok` carries warnings shown under the provider block. `Err` holds at least one error,
    /// each shown by Terraform under the provider block; the calls that need the client then
    /// fail with "Provider not configured".
    async fn configure(
        &self,
        config: &Value,
        terraform_version: &str,
    ) -> Result<(Configured<Self::Client>, Diagnostics), Diagnostics>;

    fn resources(&self) -> Vec<Arc<dyn DynResource<Self::Client>>>;
    fn data_sources(&self) -> Vec<Arc<dyn DynDataSource<Self::Client>>>;

    /// The ephemeral resource types (see [`crate::framework::ephemeral`]); none by default.
    fn ephemeral_resources(&self) -> Vec<Arc<dyn crate::framework::ephemeral::DynEphemeralResource<Self::Client>>> {
        Vec::new()
    }

    /// The client one call uses, bound to the call's cancellation so StopProvider ends its
    /// requests promptly. `meta` is the calling module's `provider_meta` block as an object of
    /// [`Provider::meta_schema`]'s type, or null when the module has none (and always for
    /// imports, whose request carries none). The default shares the configured client unchanged.
    fn client_for_call(client: &Arc<Self::Client>, _cancel: &CancellationToken, _meta: &Value) -> Arc<Self::Client> {
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
        let applied = if prior.is_null() {
            self.resource.create(cx, planned_state).await
        } else {
            match decode::<R::State>(prior, "prior state") {
                Ok(prior_state) => self.resource.update(cx, prior_state, planned_state).await,
                Err(diag) => return (prior.clone(), diag.into()),
            }
        };
        let (state, diags) = match applied {
            Ok(state) => (Some(state), Diagnostics::new()),
            Err(Failed { state, diags }) => (state, diags),
        };
        self.encode(cx, state, diags, prior)
    }

    async fn read(&self, cx: &Cx<R::Client>, prior: &Value) -> (Value, Diagnostics) {
        let prior_state = match decode::<R::State>(prior, "prior state") {
            Ok(state) => state,
            Err(diag) => return (prior.clone(), diag.into()),
        };
        match self.resource.read(cx, prior_state).await {
            Ok(Some(state)) => self.encode(cx, Some(state), Diagnostics::new(), prior),
            Ok(None) => (Value::Null, cx.take_warnings()),
            Err(diags) => self.encode(cx, None, diags, prior),
        }
    }

    async fn import(&self, cx: &Cx<R::Client>, id: &str) -> (Value, Diagnostics) {
        match self.resource.import(cx, id).await {
            Ok(state) => self.encode(cx, Some(state), Diagnostics::new(), &Value::Null),
            Err(diags) => self.encode(cx, None, diags, &Value::Null),
        }
    }

    fn upgrade(&self, version: i64, stored: Value) -> Result<Value, Diagnostics> {
        if stored.is_null() {
            return Ok(stored);
        }
        let upgraded = R::upgrade(version, with_empty_blocks(&self.schema, stored))?;
        // Checked here, so a state that cannot work fails now with its path rather than at
        // the first read as "Could not decode the prior state".
        if let Err(err) = value::from_value::<R::State>(&upgraded) {
            return Err(Diagnostic::error(
                "Could not upgrade the stored state",
                format!(
                    "The stored state of this {} (schema version {version}) does not fit this provider's schema: {err}. \
                     If it was edited by hand or written by another provider, remove it with `terraform state rm` \
                     and import the object again.",
                    R::NAME
                ),
            )
            .into());
        }
        Ok(upgraded)
    }

    fn moves_from(&self) -> &'static [MoveFrom] {
        R::MOVES_FROM
    }

    fn move_state(&self, source: MoveSource<'_>) -> Result<Moved, Diagnostics> {
        let from = source.from.type_name;
        let mut moved = R::move_state(source)?;
        moved.state = with_empty_blocks(&self.schema, moved.state);
        if let Err(err) = value::from_value::<R::State>(&moved.state) {
            return Err(Diagnostic::bug(
                "Could not move the state",
                format!("the state moved from {from} does not fit {}: {err}", R::NAME),
            )
            .into());
        }
        Ok(moved)
    }
}

impl<R: Resource> ResourceAdapter<R> {
    /// Encodes `state`, falling back to `fallback` when there is none, with the call's warnings
    /// first and then `diags`. Values the resource left unset become null, because Terraform
    /// rejects unknowns after apply.
    fn encode(
        &self,
        cx: &Cx<R::Client>,
        state: Option<R::State>,
        diags: Diagnostics,
        fallback: &Value,
    ) -> (Value, Diagnostics) {
        let mut all = cx.take_warnings();
        all.extend(diags);
        let mut diags = all;
        let Some(state) = state else {
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
        let read = self.data_source.read(cx, config_state).await;
        let mut diags = cx.take_warnings();
        let value = match read {
            Ok(state) => match value::to_value(&state, &self.value_type) {
                Ok(value) => value.null_unknowns(),
                Err(err) => {
                    diags.push(Diagnostic::bug("Could not encode the data source", err));
                    Value::Null
                }
            },
            Err(errors) => {
                diags.extend(errors);
                Value::Null
            }
        };
        (value, diags)
    }
}

/// The schema's validators, then the type's own checks.
fn validate_with(schema: &Schema, config: &Value, checks: fn(&Value, &mut Diagnostics)) -> Diagnostics {
    let mut diags = Diagnostics::new();
    validate_config(&schema.block, config, &AttributePath::root(), &mut diags);
    checks(config, &mut diags);
    diags
}

/// `stored` with every null list or set of blocks made empty: Terraform wants "no blocks" as an
/// empty collection, never null, and a state written without the block has none.
fn with_empty_blocks(schema: &Schema, mut stored: Value) -> Value {
    if let Value::Object(fields) = &mut stored {
        for block in &schema.block.blocks {
            let Some(empty) = block.nesting.empty() else { continue };
            let slot = fields.entry(block.name.clone()).or_default();
            if slot.is_null() {
                *slot = empty;
            }
        }
    }
    stored
}

fn decode<T: DeserializeOwned>(value: &Value, what: &str) -> Result<T, Diagnostic> {
    value::from_value(value).map_err(|err| Diagnostic::bug(format!("Could not decode the {what}"), err))
}

/// Checks that a state struct `S` agrees with `schema`, so a field the schema lacks (or the
/// reverse, or a type mismatch) fails in a unit test rather than in front of a user.
///
/// Two objects of the schema's type go through `S` and back and must come out unchanged: one
/// with a sample value in every attribute and one element in every nested block, and one with
/// every attribute that is not required null and every nested block empty (what Terraform
/// sends for an unset optional attribute). Errors name the object and the difference.
pub fn check_state_agrees_with_schema<S: Serialize + DeserializeOwned>(schema: &Schema) -> Result<(), String> {
    let ty = schema.value_type();
    let full = sample(&ty);
    let mut sparse = full.clone();
    if let Value::Object(fields) = &mut sparse {
        for attribute in schema.block.attributes.iter().filter(|a| !a.required) {
            fields.insert(attribute.name.clone(), Value::Null);
        }
        for block in &schema.block.blocks {
            fields.insert(block.name.clone(), block.nesting.empty().unwrap_or(Value::Null));
        }
    }
    for (what, value) in [("a sample object", full), ("an object of nulls", sparse)] {
        let state: S = value::from_value(&value).map_err(|err| format!("{what} does not decode: {err}"))?;
        let back = value::to_value(&state, &ty).map_err(|err| format!("{what} does not encode: {err}"))?;
        if back != value {
            return Err(format!(
                "{what} changed on its way through the state struct:\n{value:?}\n{back:?}"
            ));
        }
    }
    Ok(())
}

/// A known, non-null value of `ty` with one element in every collection.
fn sample(ty: &Type) -> Value {
    match ty {
        Type::Bool => Value::Bool(true),
        Type::Number => Value::Number(1i64.into()),
        Type::String => Value::String("s".to_string()),
        Type::List(element) => Value::List(vec![sample(element)]),
        Type::Set(element) => Value::Set(vec![sample(element)]),
        Type::Map(element) => Value::Map([("k".to_string(), sample(element))].into()),
        Type::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(name, field)| (name.clone(), sample(field)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::schema::{string, Block, NestedBlock};

    /// A resource whose only behaviour is its upgrade: a version-0 state keeps the name in
    /// `note`, and the upgrade moves it to `name`.
    struct Fake;

    #[derive(Serialize, Deserialize)]
    struct FakeState {
        name: String,
        #[serde(default)]
        items: Vec<FakeItem>,
    }

    #[derive(Serialize, Deserialize)]
    struct FakeItem {
        key: String,
    }

    fn unused<T>() -> T {
        unreachable!("only upgrade is exercised")
    }

    #[async_trait]
    impl Resource for Fake {
        type Client = ();
        type State = FakeState;
        const NAME: &'static str = "fake";

        fn schema() -> Schema {
            let mut schema = Schema::new("fake")
                .attributes([string("name").required(), string("note").optional()])
                .block(NestedBlock::list(
                    "items",
                    Block::new("item").attributes([string("key").required()]),
                ));
            schema.version = 1;
            schema
        }

        fn upgrade(version: i64, mut stored: Value) -> Result<Value, Diagnostics> {
            if version == 0 {
                let note = stored.get("note").clone();
                if let Some(name) = stored.get_mut("name") {
                    *name = note;
                }
            }
            Ok(stored)
        }

        const MOVES_FROM: &'static [MoveFrom] = &[MoveFrom {
            provider: "example.com/test/other",
            type_name: "other_thing",
        }];

        /// The source's `label` becomes the name; the private data says where it came from.
        fn move_state(source: MoveSource<'_>) -> Result<Moved, Diagnostics> {
            Ok(Moved {
                state: Value::object([("name", source.state.get("label").clone())]),
                private: source.from.type_name.as_bytes().to_vec(),
            })
        }

        async fn create(&self, _: &Cx<()>, _: FakeState) -> Applied<FakeState> {
            unused()
        }
        async fn read(&self, _: &Cx<()>, _: FakeState) -> Result<Option<FakeState>, Diagnostics> {
            unused()
        }
        async fn update(&self, _: &Cx<()>, _: FakeState, _: FakeState) -> Applied<FakeState> {
            unused()
        }
        async fn delete(&self, _: &Cx<()>, _: FakeState) -> Result<(), Diagnostics> {
            unused()
        }
    }

    fn stored(name: Value, note: Value, items: Value) -> Value {
        Value::object([("name", name), ("note", note), ("items", items)])
    }

    #[test]
    fn upgrade_runs_the_resources_rule_for_its_version() {
        let fake = resource(Fake);
        let old = stored(Value::string("old"), Value::string("new"), Value::List(Vec::new()));
        let upgraded = fake.upgrade(0, old.clone()).unwrap();
        assert_eq!(upgraded.get("name"), &Value::string("new"));
        assert_eq!(
            fake.upgrade(1, old.clone()).unwrap(),
            old,
            "the current version is kept"
        );
    }

    #[test]
    fn upgrade_makes_null_blocks_empty_and_keeps_null_state_null() {
        let fake = resource(Fake);
        let without_blocks = Value::object([("name", Value::string("n"))]);
        let upgraded = fake.upgrade(1, without_blocks).unwrap();
        assert_eq!(upgraded.get("items"), &Value::List(Vec::new()));
        let null_blocks = stored(Value::string("n"), Value::Null, Value::Null);
        assert_eq!(
            fake.upgrade(1, null_blocks).unwrap().get("items"),
            &Value::List(Vec::new())
        );
        assert_eq!(fake.upgrade(1, Value::Null).unwrap(), Value::Null);
    }

    #[test]
    fn upgrade_fails_with_the_path_when_the_result_is_no_state() {
        let fake = resource(Fake);
        // Version 0 moves the null note into the required name.
        let diags = fake
            .upgrade(0, stored(Value::string("n"), Value::Null, Value::List(Vec::new())))
            .unwrap_err();
        let diagnostic = diags.iter().next().expect("one diagnostic");
        assert_eq!(diagnostic.summary, "Could not upgrade the stored state");
        assert!(diagnostic.detail.contains("name"), "{}", diagnostic.detail);
        assert!(diagnostic.detail.contains("schema version 0"), "{}", diagnostic.detail);
        assert!(diags.has_errors());
    }

    fn source(state: Value) -> MoveSource<'static> {
        MoveSource {
            from: Fake::MOVES_FROM[0],
            schema_version: 0,
            state,
            private: b"",
        }
    }

    #[test]
    fn move_state_fills_empty_blocks_and_keeps_the_private_data() {
        let fake = resource(Fake);
        assert_eq!(fake.moves_from(), Fake::MOVES_FROM);
        let moved = fake
            .move_state(source(Value::object([("label", Value::string("n"))])))
            .unwrap();
        assert_eq!(moved.state.get("name"), &Value::string("n"));
        assert_eq!(moved.state.get("items"), &Value::List(Vec::new()));
        assert_eq!(moved.private, b"other_thing".to_vec());
    }

    #[test]
    fn move_state_fails_when_the_result_is_no_state() {
        let fake = resource(Fake);
        let diags = fake
            .move_state(source(Value::object([("label", Value::Null)])))
            .unwrap_err();
        let diagnostic = diags.iter().next().expect("one diagnostic");
        assert_eq!(diagnostic.summary, "Could not move the state");
        assert!(diagnostic.detail.contains("other_thing"), "{}", diagnostic.detail);
    }

    #[test]
    fn cx_hands_the_private_data_to_the_call() {
        let cx = Cx::new(Arc::new(()), CancellationToken::new());
        assert!(cx.private().is_empty());
        assert_eq!(cx.with_private(b"p".to_vec()).private(), b"p");
    }
}
