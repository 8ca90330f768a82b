//! `moved` blocks between the two key types: a `mongodbatlas_project_api_key` becomes a
//! `mongodbatlas_api_key` (its project roles then belong to
//! `mongodbatlas_api_key_project_assignment` resources, adopted with `import` blocks in the same
//! apply), and back. The key is the same Atlas object either way, so nothing is created or
//! deleted and `private_key`, which Atlas shows only at creation, carries over.
//!
//! Terraform calls `MoveResourceState` on a provider instance it never configured, before the
//! plan, and then refreshes the moved state with `read` in the same plan (Terraform 1.11:
//! `internal/refactoring/cross_provider_move.go` and `move_execute.go` start the target
//! provider from its factory and call only GetProviderSchema and MoveResourceState;
//! `node_resource_plan_instance.go` upgrades and refreshes every instance in state after the
//! moves). So a move is pure: it carries over what the source state holds, and leaves what only
//! Atlas knows to that read:
//!
//! - project key to organization key: `api_key_id`, `public_key`, `private_key` and
//!   `description` carry over; `role_names` are the organization roles of the first assignment
//!   (`ORG_MEMBER`, the role Atlas gives a key created through a project, when the state shows
//!   none) and the read replaces them with what Atlas lists. `org_id` is left empty (and `id`
//!   null) until the read, which takes it from the private data ([`Hint`]): the source's
//!   `org_id`, or for the official provider's state, which has none, the organization of the
//!   first of the state's projects Atlas still has (`getGroup`). The empty `org_id` is what
//!   makes a plan without refresh refusable: Terraform stores the moved object without the
//!   sensitive marks of `private_key`, so such a plan would show an in-place update that
//!   changes nothing.
//! - organization key to project key: the same attributes carry over; the project assignments,
//!   which an organization key's state does not hold, are left for the read, which lists every
//!   project the key is assigned to. A key holding `ORG_READ_ONLY` cannot be a project key (see
//!   `project_api_key`), which the move says; a key assigned to no project is refused by the
//!   read.
//!
//! Only states written by `registry.terraform.io/mongodb/mongodbatlas` (the official provider
//! and this one share the address) move; the protocol layer refuses other sources, naming the
//! supported moves.

use serde::{Deserialize, Serialize};

use crate::framework::{Diagnostic, Diagnostics, MoveFrom, Moved};
use crate::value::{Quoted, Value};

use super::upgrade;

/// The provider address Terraform records for states of the official provider and of this one.
pub const ATLAS_PROVIDER: &str = "registry.terraform.io/mongodb/mongodbatlas";

/// The organization key takes over project keys.
pub const FROM_PROJECT_KEY: &[MoveFrom] = &[MoveFrom {
    provider: ATLAS_PROVIDER,
    type_name: "mongodbatlas_project_api_key",
}];

/// The project key takes over organization keys.
pub const FROM_ORG_KEY: &[MoveFrom] = &[MoveFrom {
    provider: ATLAS_PROVIDER,
    type_name: "mongodbatlas_api_key",
}];

/// The organization role Atlas gives a key created through a project; a project key's state
/// does not show it unless configured.
const IMPLICIT_ORG_ROLE: &str = "ORG_MEMBER";

/// What a move to `mongodbatlas_api_key` leaves in the private data for the first read, which
/// learns the organization from it: the source state's `org_id` when it held one, else every
/// project it names (the top-level `project_id`, then each block's, without repeats), tried in
/// order. JSON, `{"moved_org_id":"<org id>"}` or `{"moved_from_project_ids":["<project id>",…]}`.
/// The moved state's `org_id` stays empty until that read, which marks a moved state not yet
/// read (a plan from it is refused: Terraform stores a moved object without its sensitive marks,
/// so an unrefreshed plan would show an update that changes nothing).
#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Hint {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_org_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub moved_from_project_ids: Vec<String>,
}

impl Hint {
    /// The hint in `private`, if `private` holds one (other private data, such as the official
    /// provider's `{"schema_version":"0"}`, is none).
    pub fn read(private: &[u8]) -> Option<Hint> {
        serde_json::from_slice::<Hint>(private).ok().and_then(|mut hint| {
            hint.moved_org_id = hint.moved_org_id.filter(|org| !org.is_empty());
            hint.moved_from_project_ids.retain(|project| !project.is_empty());
            (hint != Hint::default()).then_some(hint)
        })
    }
}

/// The error of a moved key whose source state held no organization and none of whose
/// projects Atlas still has (`projects`, each answered 404 by `getGroup`).
pub fn organization_unknown(api_key_id: &str, projects: &[String]) -> Diagnostic {
    let projects: Vec<String> = projects.iter().map(|p| Quoted(p).to_string()).collect();
    Diagnostic::error(
        "Could not find the organization of the moved key",
        format!(
            "The state moved to mongodbatlas_api_key for key {} holds no org_id, and Atlas has none of the projects \
             it names ({}), so the key's organization is unknown. Remove the moved block and take the key out of \
             state with `terraform state rm <address>`, then import it with \
             `terraform import <address> {{org_id}}-{}` (or an import block with that ID).",
            Quoted(api_key_id),
            projects.join(", "),
            api_key_id
        ),
    )
}

/// A `mongodbatlas_project_api_key` state (in its current shape) as a `mongodbatlas_api_key`
/// state; see the module docs. Errors when the state does not name its key.
pub fn org_key_from_project_key(source: &Value) -> Result<Moved, Diagnostics> {
    let api_key_id = required(source, "api_key_id", "mongodbatlas_project_api_key")?;
    let org_id = upgrade::text(source, "org_id");
    let blocks = source.get("project_assignment").as_elements().unwrap_or_default();
    let first_block = blocks.first().cloned();
    let mut project_ids: Vec<String> = Vec::new();
    let named = upgrade::text(source, "project_id")
        .into_iter()
        .chain(blocks.iter().filter_map(|block| upgrade::text(block, "project_id")));
    for project_id in named {
        if !project_ids.contains(&project_id) {
            project_ids.push(project_id);
        }
    }
    let hint = match (&org_id, project_ids.is_empty()) {
        (Some(org_id), _) => Hint {
            moved_org_id: Some(org_id.clone()),
            moved_from_project_ids: Vec::new(),
        },
        (None, false) => Hint {
            moved_org_id: None,
            moved_from_project_ids: project_ids,
        },
        (None, true) => {
            return Err(Diagnostic::error(
                "Could not move the state",
                format!(
                    "The mongodbatlas_project_api_key state of key {} names neither its organization nor a project, \
                     so the organization of the mongodbatlas_api_key is unknown. Remove it from state with a removed \
                     block (destroy = false) and import it as mongodbatlas_api_key with `{{org_id}}-{api_key_id}`.",
                    Quoted(&api_key_id)
                ),
            )
            .into())
        }
    };
    let private = serde_json::to_vec(&hint).unwrap_or_default();
    let roles = first_block
        .as_ref()
        .map(|block| block.get("role_names"))
        .unwrap_or_else(|| source.get("role_names"));
    let mut org_roles: Vec<Value> = roles
        .as_elements()
        .unwrap_or_default()
        .iter()
        .filter(|role| role.as_str().is_some_and(|role| role.starts_with("ORG_")))
        .cloned()
        .collect();
    if org_roles.is_empty() {
        org_roles.push(Value::string(IMPLICIT_ORG_ROLE));
    }
    let state = Value::object([
        // Null and empty until the read, which takes the organization from the hint.
        ("id", Value::Null),
        ("org_id", Value::string("")),
        ("description", source.get("description").clone()),
        ("role_names", Value::Set(org_roles)),
        ("api_key_id", Value::string(api_key_id)),
        ("public_key", source.get("public_key").clone()),
        ("private_key", source.get("private_key").clone()),
    ]);
    Ok(Moved { state, private })
}

/// A `mongodbatlas_api_key` state (in its current shape) as a `mongodbatlas_project_api_key`
/// state without assignments, which the read fills; see the module docs. Errors when the key
/// holds `ORG_READ_ONLY` or the state does not name its key and organization.
pub fn project_key_from_org_key(source: &Value) -> Result<Moved, Diagnostics> {
    let api_key_id = required(source, "api_key_id", "mongodbatlas_api_key")?;
    let org_id = required(source, "org_id", "mongodbatlas_api_key")?;
    let holds_read_only = source
        .get("role_names")
        .as_elements()
        .unwrap_or_default()
        .iter()
        .any(|role| role.as_str() == Some("ORG_READ_ONLY"));
    if holds_read_only {
        return Err(Diagnostic::error(
            "Cannot move a key with ORG_READ_ONLY to mongodbatlas_project_api_key",
            format!(
                "The key {} holds the organization role ORG_READ_ONLY, which mongodbatlas_project_api_key refuses \
                 (Atlas gives a key created through a project an organization role of its own). Keep it as \
                 mongodbatlas_api_key and manage its projects with mongodbatlas_api_key_project_assignment, or first \
                 change its role_names (for example to [\"ORG_MEMBER\"]) and apply, then move it.",
                Quoted(&api_key_id)
            ),
        )
        .into());
    }
    let state = Value::object([
        ("id", upgrade::key_id(Some(&org_id), Some(&api_key_id))),
        ("project_id", Value::Null),
        ("description", source.get("description").clone()),
        ("role_names", Value::Null),
        // The read lists every project Atlas has the key assigned to.
        ("project_assignment", Value::List(Vec::new())),
        ("org_id", Value::string(org_id)),
        ("api_key_id", Value::string(api_key_id)),
        ("public_key", source.get("public_key").clone()),
        ("private_key", source.get("private_key").clone()),
    ]);
    Ok(Moved {
        state,
        private: Vec::new(),
    })
}

/// The error of a moved project key that Atlas has assigned to no project.
pub fn no_project(api_key_id: &str) -> Diagnostic {
    Diagnostic::error(
        "A project API key needs a project",
        format!(
            "The key {} moved to mongodbatlas_project_api_key is not assigned to any project, and a \
             mongodbatlas_project_api_key needs at least one project assignment. Keep it as mongodbatlas_api_key (remove \
             the moved block), or first assign it to a project (mongodbatlas_api_key_project_assignment) and apply, \
             then move it.",
            Quoted(api_key_id)
        ),
    )
}

/// The error of a plan from a moved state that was not refreshed, which lacks what only the
/// read learns (`what`).
pub fn not_refreshed(type_name: &str, what: &str) -> Diagnostic {
    Diagnostic::error(
        "Moved state not refreshed",
        format!(
            "This {type_name} was moved from another resource type and its {what} is known only after a refresh. \
             Plan without -refresh=false."
        ),
    )
}

/// The string attribute `name` of the source state, or the error saying the state cannot be
/// moved without it.
fn required(source: &Value, name: &str, type_name: &str) -> Result<String, Diagnostics> {
    upgrade::text(source, name).ok_or_else(|| {
        Diagnostic::error(
            "Could not move the state",
            format!("The {type_name} state has no {name}, so the key it tracks is unknown; import the key instead."),
        )
        .into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORG: &str = "5d09d6a59ccf6445652a444a";
    const KEY: &str = "6576974933969669aaaaaaaa";
    const P1: &str = "5d09d6a59ccf6445652a4441";
    const P2: &str = "5d09d6a59ccf6445652a4442";

    fn roles(names: &[&str]) -> Value {
        Value::Set(names.iter().map(|n| Value::string(*n)).collect())
    }

    fn block(project: &str, names: &[&str]) -> Value {
        Value::object([("project_id", Value::string(project)), ("role_names", roles(names))])
    }

    fn project_key(org: Option<&str>, blocks: Vec<Value>) -> Value {
        Value::object([
            (
                "id",
                org.map_or(Value::Null, |org| Value::string(format!("{org}-{KEY}"))),
            ),
            ("project_id", Value::string(P1)),
            ("description", Value::string("d")),
            ("role_names", Value::Null),
            ("project_assignment", Value::List(blocks)),
            ("org_id", org.map_or(Value::Null, Value::string)),
            ("api_key_id", Value::string(KEY)),
            ("public_key", Value::string("zmmrboas")),
            ("private_key", Value::string("secret")),
        ])
    }

    #[test]
    fn a_project_key_with_its_org_moves_with_its_secret_and_org_roles() {
        let source = project_key(
            Some(ORG),
            vec![
                block(P1, &["GROUP_OWNER", "ORG_BILLING_ADMIN"]),
                block(P2, &["GROUP_READ_ONLY"]),
            ],
        );
        let moved = org_key_from_project_key(&source).unwrap();
        assert_eq!(Hint::read(&moved.private).unwrap().moved_org_id.as_deref(), Some(ORG));
        assert_eq!(moved.state.get("org_id"), &Value::string(""), "until the read");
        assert_eq!(moved.state.get("id"), &Value::Null);
        assert_eq!(moved.state.get("private_key"), &Value::string("secret"));
        assert_eq!(moved.state.get("public_key"), &Value::string("zmmrboas"));
        assert_eq!(moved.state.get("description"), &Value::string("d"));
        assert_eq!(moved.state.get("role_names"), &roles(&["ORG_BILLING_ADMIN"]));
    }

    #[test]
    fn a_project_key_without_org_roles_holds_the_implicit_one() {
        let source = project_key(Some(ORG), vec![block(P1, &["GROUP_OWNER"])]);
        let moved = org_key_from_project_key(&source).unwrap();
        assert_eq!(moved.state.get("role_names"), &roles(&["ORG_MEMBER"]));
        let one_project_form = {
            let mut state = project_key(Some(ORG), Vec::new());
            upgrade::set(&mut state, "role_names", roles(&["GROUP_OWNER", "ORG_OWNER"]));
            state
        };
        let moved = org_key_from_project_key(&one_project_form).unwrap();
        assert_eq!(moved.state.get("role_names"), &roles(&["ORG_OWNER"]));
    }

    #[test]
    fn the_official_state_without_org_leaves_a_hint_for_the_read() {
        let moved = org_key_from_project_key(&project_key(
            None,
            vec![block(P2, &["GROUP_OWNER"]), block(P1, &["GROUP_READ_ONLY"])],
        ))
        .unwrap();
        assert_eq!(moved.state.get("org_id"), &Value::string(""));
        assert_eq!(moved.state.get("id"), &Value::Null);
        // The top-level project_id first, then every block's, without repeats.
        assert_eq!(
            Hint::read(&moved.private),
            Some(Hint {
                moved_org_id: None,
                moved_from_project_ids: vec![P1.to_string(), P2.to_string()],
            })
        );
        let mut no_project = project_key(None, Vec::new());
        upgrade::set(&mut no_project, "project_id", Value::Null);
        let err = org_key_from_project_key(&no_project).unwrap_err();
        assert!(err
            .iter()
            .next()
            .unwrap()
            .detail
            .contains("names neither its organization nor a project"));
    }

    #[test]
    fn a_state_with_its_org_moves_with_the_org_in_the_hint_and_an_empty_org_id() {
        let moved = org_key_from_project_key(&project_key(Some(ORG), vec![block(P1, &["GROUP_OWNER"])])).unwrap();
        assert_eq!(moved.state.get("org_id"), &Value::string(""));
        assert_eq!(
            Hint::read(&moved.private),
            Some(Hint {
                moved_org_id: Some(ORG.to_string()),
                moved_from_project_ids: Vec::new(),
            })
        );
    }

    #[test]
    fn hints_are_read_only_from_our_own_private_data() {
        assert_eq!(Hint::read(b"{\"schema_version\":\"0\"}"), None);
        assert_eq!(Hint::read(b""), None);
        assert_eq!(Hint::read(b"\xff\x00garbage"), None);
        assert_eq!(Hint::read(b"{\"moved_from_project_ids\":[\"\"]}"), None);
        assert_eq!(Hint::read(b"{\"moved_org_id\":\"\"}"), None);
        assert!(Hint::read(b"{\"moved_from_project_ids\":[\"p\"]}").is_some());
        assert!(Hint::read(b"{\"moved_org_id\":\"o\"}").is_some());
    }

    fn org_key(role_names: &[&str]) -> Value {
        Value::object([
            ("id", Value::string(format!("{ORG}-{KEY}"))),
            ("org_id", Value::string(ORG)),
            ("description", Value::string("d")),
            ("role_names", roles(role_names)),
            ("api_key_id", Value::string(KEY)),
            ("public_key", Value::string("zmmrboas")),
            ("private_key", Value::string("secret")),
        ])
    }

    #[test]
    fn an_org_key_moves_with_its_secret_and_leaves_the_projects_to_the_read() {
        let moved = project_key_from_org_key(&org_key(&["ORG_MEMBER"])).unwrap();
        assert!(moved.private.is_empty());
        assert_eq!(moved.state.get("org_id"), &Value::string(ORG));
        assert_eq!(moved.state.get("id"), &Value::string(format!("{ORG}-{KEY}")));
        assert_eq!(moved.state.get("private_key"), &Value::string("secret"));
        assert_eq!(moved.state.get("project_assignment"), &Value::List(Vec::new()));
        assert!(moved.state.get("project_id").is_null());
    }

    #[test]
    fn an_org_key_with_org_read_only_is_refused_with_what_to_do() {
        let err = project_key_from_org_key(&org_key(&["ORG_READ_ONLY"])).unwrap_err();
        let diagnostic = err.iter().next().unwrap();
        assert!(diagnostic.summary.contains("ORG_READ_ONLY"), "{}", diagnostic.summary);
        assert!(diagnostic.detail.contains("mongodbatlas_api_key_project_assignment"));
    }

    #[test]
    fn states_without_a_key_are_refused() {
        let mut source = org_key(&["ORG_MEMBER"]);
        upgrade::set(&mut source, "api_key_id", Value::string(""));
        assert!(project_key_from_org_key(&source).is_err());
        let mut source = project_key(Some(ORG), Vec::new());
        upgrade::set(&mut source, "api_key_id", Value::Null);
        assert!(org_key_from_project_key(&source).is_err());
    }
}
