//! Refresh by listing (issue 13 §2), through the real `terraform` CLI against the in-process
//! emulator: a plan over many objects of one parent sends one listing instead of one GET per
//! object, an object missing from the listing gets its own GET before it leaves state, changes
//! made outside Terraform show, and data sources share the resources' listing. Request counts
//! are exact; the emulator issues random ids, so nothing leans on their order.

use std::time::Instant;

use serde_json::{json, Value as Json};

use crate::support::World;

/// `ids` of the objects `POST /__emulator/...` made.
fn ids(created: Json) -> Vec<String> {
    created["ids"]
        .as_array()
        .expect("ids")
        .iter()
        .map(|id| id.as_str().expect("id").to_string())
        .collect()
}

/// Organization keys made behind Terraform's back, described `{prefix}-0001`…, with
/// `ORG_MEMBER` and, when `project` is given, `GROUP_READ_ONLY` there.
fn org_keys(world: &World, count: usize, prefix: &str, project: Option<&str>) -> Vec<String> {
    let mut body = json!({"count": count, "desc_prefix": prefix});
    if let Some(project) = project {
        body["project_id"] = json!(project);
    }
    ids(world.admin(
        "POST",
        &format!("/__emulator/orgs/{}/apiKeys", world.org_id()),
        Some(body),
    ))
}

/// An HCL map from the 1-based index (`"0001"`…) to each id, as the bulk routes number them.
fn indexed(ids: &[String]) -> String {
    let pairs: Vec<String> = ids
        .iter()
        .enumerate()
        .map(|(index, id)| format!("    \"{:04}\" = \"{id}\"", index + 1))
        .collect();
    format!("{{\n{}\n  }}", pairs.join("\n"))
}

/// `count` organization keys as `mongodbatlas_api_key.k[...]`, each imported by an import block.
fn imported_org_keys(org: &str, keys: &[String], prefix: &str) -> String {
    format!(
        "locals {{\n  {prefix} = {}\n}}\n\n\
         resource \"mongodbatlas_api_key\" \"{prefix}\" {{\n  for_each    = local.{prefix}\n  org_id      = \"{org}\"\n  \
         description = \"{prefix}-${{each.key}}\"\n  role_names  = [\"ORG_MEMBER\"]\n}}\n\n\
         import {{\n  for_each = local.{prefix}\n  to       = mongodbatlas_api_key.{prefix}[each.key]\n  \
         id       = \"{org}-${{each.value}}\"\n}}\n",
        indexed(keys)
    )
}

fn sorted(mut calls: Vec<String>) -> Vec<String> {
    calls.sort();
    calls
}

/// Every API request since the last `clear_requests`, Digest challenges included.
fn all_requests(world: &World) -> usize {
    world
        .requests()
        .iter()
        .filter(|r| r["path"].as_str().is_some_and(|p| p.starts_with("/api/atlas")))
        .count()
}

#[test]
fn plan_over_200_org_keys_sends_one_listing_and_a_missing_key_gets_its_own_get() {
    let world = World::new();
    let org = world.org_id();
    let keys = org_keys(&world, 200, "bulk", None);
    world.write(&imported_org_keys(&org, &keys, "bulk"));
    let listing = format!("GET /api/atlas/v2/orgs/{org}/apiKeys");

    // Import: 200 ImportResourceState and ReadResource calls, one listing.
    world.clear_requests();
    let run = world.apply();
    assert!(
        run.stdout.contains("200 imported, 0 added, 0 changed"),
        "{}",
        run.stdout
    );
    assert_eq!(world.calls(), vec![listing.clone()], "import reads share one listing");

    // Plan with refresh: one listing (with the Digest challenge, at most 3 requests).
    world.clear_requests();
    let started = Instant::now();
    let run = world.plan();
    let elapsed = started.elapsed();
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(world.calls(), vec![listing.clone()]);
    let total = all_requests(&world);
    assert!(total <= 3, "{total} requests: {:?}", world.requests());
    eprintln!("plan over 200 keys: {total} requests in all, {elapsed:?}");

    // One key deleted and one changed outside Terraform: the deleted one gets its own GET (a
    // genuine 404) before it leaves state; the changed one shows as an update.
    let (gone, changed) = (&keys[6], &keys[8]);
    world.admin("DELETE", &format!("/__emulator/orgs/{org}/apiKeys/{gone}"), None);
    world.admin(
        "PATCH",
        &format!("/__emulator/orgs/{org}/apiKeys/{changed}"),
        Some(json!({"desc": "edited in the UI"})),
    );
    world.clear_requests();
    let run = world.plan();
    assert_eq!(run.code, 2, "{}", run.output());
    assert!(
        run.stdout.contains("Plan: 1 to add, 1 to change, 0 to destroy."),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("\"edited in the UI\" -> \"bulk-0009\""),
        "{}",
        run.stdout
    );
    assert_eq!(
        sorted(world.calls()),
        sorted(vec![listing, format!("GET /api/atlas/v2/orgs/{org}/apiKeys/{gone}")])
    );
}

#[test]
fn a_listing_of_more_than_500_keys_takes_pages_of_500() {
    let world = World::new();
    let org = world.org_id();
    // With the seeded key the organization holds 502 keys.
    let keys = org_keys(&world, 501, "many", None);
    world.write(&imported_org_keys(&org, &keys[..1], "many"));
    world.apply();
    world.clear_requests();
    let run = world.plan();
    assert_eq!(run.code, 0, "{}", run.output());
    let listed: Vec<String> = world
        .requests()
        .iter()
        .filter(|r| r["status"] != 401)
        .map(|r| {
            format!(
                "{} {}?{}",
                r["method"].as_str().unwrap_or(""),
                r["path"].as_str().unwrap_or(""),
                r["query"].as_str().unwrap_or("")
            )
        })
        .collect();
    let page = |n: u32| format!("GET /api/atlas/v2/orgs/{org}/apiKeys?pageNum={n}&itemsPerPage=500");
    assert_eq!(listed, [page(1), page(2)]);
}

#[test]
fn every_listed_type_refreshes_by_listing_and_checks_what_is_missing() {
    let world = World::new();
    let org = world.org_id();
    let (p0, p1, p2) = (world.project_id(0), world.project_id(1), world.project_id(2));

    // 20 AI model keys of p0.
    let ai_keys = ids(world.admin(
        "POST",
        &format!("/__emulator/groups/{p0}/aiModelApiKeys"),
        Some(json!({"count": 20, "name_prefix": "ai"})),
    ));
    // 20 access-list entries of one key.
    let acl_key = org_keys(&world, 1, "acl", None).remove(0);
    let entries: Vec<String> = (1..=20).map(|n| format!("10.0.{n}.0/24")).collect();
    for cidr in &entries {
        world.admin(
            "POST",
            &format!("/__emulator/orgs/{org}/apiKeys/{acl_key}/accessList"),
            Some(json!({"cidrBlock": cidr})),
        );
    }
    // 20 keys assigned to p1, 20 keys created through p2.
    let assigned = org_keys(&world, 20, "assigned", Some(&p1));
    let project_keys = org_keys(&world, 20, "projkey", Some(&p2));
    let groups = ["embed_large", "embed_medium", "embed_small", "rerank"];

    let entry_map: Vec<String> = entries
        .iter()
        .enumerate()
        .map(|(index, cidr)| format!("    \"{:04}\" = \"{cidr}\"", index + 1))
        .collect();
    let config = format!(
        "locals {{\n  ai = {ai}\n  entries = {{\n{entries}\n  }}\n  assigned = {assigned}\n  projkey = {projkey}\n}}\n\n\
         resource \"mongodbatlas_ai_model_api_key\" \"ai\" {{\n  for_each   = local.ai\n  project_id = \"{p0}\"\n  name       = \"ai-${{each.key}}\"\n}}\n\
         import {{\n  for_each = local.ai\n  to       = mongodbatlas_ai_model_api_key.ai[each.key]\n  id       = \"{p0}/${{each.value}}\"\n}}\n\n\
         resource \"mongodbatlas_access_list_api_key\" \"acl\" {{\n  for_each   = local.entries\n  org_id     = \"{org}\"\n  api_key_id = \"{acl_key}\"\n  cidr_block = each.value\n}}\n\
         import {{\n  for_each = local.entries\n  to       = mongodbatlas_access_list_api_key.acl[each.key]\n  id       = \"{org}-{acl_key}-${{each.value}}\"\n}}\n\n\
         resource \"mongodbatlas_api_key_project_assignment\" \"assigned\" {{\n  for_each   = local.assigned\n  project_id = \"{p1}\"\n  api_key_id = each.value\n  roles      = [\"GROUP_READ_ONLY\"]\n}}\n\
         import {{\n  for_each = local.assigned\n  to       = mongodbatlas_api_key_project_assignment.assigned[each.key]\n  id       = \"{p1}/${{each.value}}\"\n}}\n\n\
         resource \"mongodbatlas_project_api_key\" \"projkey\" {{\n  for_each    = local.projkey\n  description = \"projkey-${{each.key}}\"\n  \
         project_assignment {{\n    project_id = \"{p2}\"\n    role_names = [\"GROUP_READ_ONLY\"]\n  }}\n}}\n\
         import {{\n  for_each = local.projkey\n  to       = mongodbatlas_project_api_key.projkey[each.key]\n  id       = \"{p2}-${{each.value}}\"\n}}\n\n\
         resource \"mongodbatlas_ai_model_rate_limit\" \"limit\" {{\n  for_each                  = toset({groups:?})\n  project_id                = \"{p0}\"\n  \
         model_group_name          = each.value\n  requests_per_minute_limit = 7\n  tokens_per_minute_limit   = 70\n}}\n",
        ai = indexed(&ai_keys),
        entries = entry_map.join("\n"),
        assigned = indexed(&assigned),
        projkey = indexed(&project_keys),
    );
    world.write(&config);
    world.clear_requests();
    let run = world.apply();
    assert!(run.stdout.contains("80 imported, 4 added, 0 changed"), "{}", run.stdout);

    let ai_listing = format!("GET /api/atlas/v2/groups/{p0}/aiModelApiKeys");
    let acl_listing = format!("GET /api/atlas/v2/orgs/{org}/apiKeys/{acl_key}/accessList");
    let key_listing = format!("GET /api/atlas/v2/orgs/{org}/apiKeys");
    let project_lookup = format!("GET /api/atlas/v2/groups/{p1}");
    let limit_listing = format!("GET /api/atlas/v2/groups/{p0}/aiModelApiRateLimits");
    let listings = vec![
        ai_listing.clone(),
        acl_listing.clone(),
        key_listing.clone(),
        project_lookup.clone(),
        limit_listing.clone(),
    ];

    // 84 resources, 5 requests: one listing per parent and the assignments' project lookup.
    world.clear_requests();
    let run = world.plan();
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(sorted(world.calls()), sorted(listings.clone()));

    // Changed outside Terraform: an AI key and an entry deleted, a key unassigned, a project
    // key's roles and a rate limit changed.
    world.admin(
        "DELETE",
        &format!("/__emulator/groups/{p0}/aiModelApiKeys/{}", ai_keys[3]),
        None,
    );
    world.admin(
        "DELETE",
        &format!("/__emulator/orgs/{org}/apiKeys/{acl_key}/accessList/10.0.5.0%2F24"),
        None,
    );
    world.admin(
        "DELETE",
        &format!("/__emulator/groups/{p1}/apiKeys/{}", assigned[2]),
        None,
    );
    world.admin(
        "PUT",
        &format!("/__emulator/groups/{p2}/apiKeys/{}", project_keys[4]),
        Some(json!({"roles": ["GROUP_OWNER"]})),
    );
    world.admin(
        "POST",
        &format!("/__emulator/groups/{p0}/aiModelRateLimits/rerank"),
        Some(json!({"requests_per_minute_limit": 3, "tokens_per_minute_limit": 30})),
    );
    world.clear_requests();
    let run = world.plan();
    assert_eq!(run.code, 2, "{}", run.output());
    assert!(
        run.stdout.contains("Plan: 3 to add, 2 to change, 0 to destroy."),
        "{}",
        run.stdout
    );
    // What a listing lacks gets its own GET before it leaves state: the AI key, the entry, and
    // the key that no longer holds roles in p1.
    let mut expected = listings;
    expected.extend([
        format!("GET /api/atlas/v2/groups/{p0}/aiModelApiKeys/{}", ai_keys[3]),
        format!("GET {}/10.0.5.0%2F24", &acl_listing[4..]),
        format!("GET /api/atlas/v2/orgs/{org}/apiKeys/{}", assigned[2]),
    ]);
    assert_eq!(sorted(world.calls()), sorted(expected));
}

#[test]
fn data_sources_share_the_resources_listing_and_one_page_stays_one_page() {
    let world = World::new();
    let org = world.org_id();
    let keys = org_keys(&world, 10, "shared", None);
    let data = format!(
        "data \"mongodbatlas_api_key\" \"one\" {{\n  org_id     = \"{org}\"\n  api_key_id = \"{}\"\n}}\n\
         data \"mongodbatlas_api_key\" \"two\" {{\n  org_id     = \"{org}\"\n  api_key_id = \"{}\"\n}}\n\
         data \"mongodbatlas_api_keys\" \"all\" {{\n  org_id = \"{org}\"\n}}\n\
         data \"mongodbatlas_api_keys\" \"page\" {{\n  org_id         = \"{org}\"\n  page_num       = 2\n  items_per_page = 4\n}}\n\
         output \"one\" {{\n  value = data.mongodbatlas_api_key.one.description\n}}\n\
         output \"all\" {{\n  value = length(data.mongodbatlas_api_keys.all.results)\n}}\n\
         output \"page\" {{\n  value = length(data.mongodbatlas_api_keys.page.results)\n}}\n",
        keys[0], keys[9]
    );
    world.write(&format!("{}\n{data}", imported_org_keys(&org, &keys, "shared")));
    world.apply();
    world.clear_requests();
    let run = world.plan();
    assert_eq!(run.code, 0, "{}", run.output());
    let listed: Vec<String> = world
        .requests()
        .iter()
        .filter(|r| r["status"] != 401)
        .map(|r| {
            format!(
                "{}?{}",
                r["path"].as_str().unwrap_or(""),
                r["query"].as_str().unwrap_or("")
            )
        })
        .collect();
    let keys_path = format!("/api/atlas/v2/orgs/{org}/apiKeys");
    assert_eq!(
        sorted(listed),
        sorted(vec![
            format!("{keys_path}?pageNum=1&itemsPerPage=500"),
            format!("{keys_path}?pageNum=2&itemsPerPage=4"),
        ]),
        "10 resources, 2 key data sources and the whole list share one listing; the one page asked for is its own"
    );
    let outputs = world.terraform(&["output", "-json"]);
    let outputs: Json = serde_json::from_str(&outputs.stdout).expect("outputs");
    assert_eq!(outputs["one"]["value"], json!("shared-0001"));
    assert_eq!(outputs["all"]["value"], json!(11), "10 keys and the seeded one");
    assert_eq!(outputs["page"]["value"], json!(4));
}

#[test]
fn a_refused_listing_is_each_reads_error_and_sends_no_get_per_key() {
    let world = World::new();
    let org = world.org_id();
    let keys = org_keys(&world, 5, "refused", None);
    world.write(&imported_org_keys(&org, &keys, "refused"));
    world.apply();
    let before = world.state_key_ids();
    // The first request under /apiKeys is the listing (every read waits for it): refused, not
    // retried. A GET per key would meet the same refusal (a 429 or a wrong key: N times more
    // of what Atlas refused), so every waiting read reports the listing's answer instead.
    world.set_faults(json!({"rules": [
        {"kind": "fail", "status": 403, "method": "GET", "path_contains": "/apiKeys", "times": 1},
    ]}));
    world.clear_requests();
    // At -parallelism=2 the reads come in three waves; the later waves are refused without a
    // request of their own.
    let run = world.terraform(&["plan", "-no-color", "-input=false", "-parallelism=2"]);
    assert_eq!(run.code, 1, "{}", run.output());
    assert_eq!(
        world.calls(),
        [format!("GET /api/atlas/v2/orgs/{org}/apiKeys")],
        "one refused listing and nothing else"
    );
    assert_eq!(
        crate::support::flat(&run.output())
            .matches("Error: Could not read API key")
            .count(),
        keys.len(),
        "each resource reports the refusal:\n{}",
        run.output()
    );
    assert_eq!(world.state_key_ids(), before, "a refused listing drops no state");
    // Once Atlas answers again, one listing refreshes them all.
    world.clear_requests();
    let again = world.plan();
    assert_eq!(again.code, 0, "{}", again.output());
    assert_eq!(world.calls(), [format!("GET /api/atlas/v2/orgs/{org}/apiKeys")]);
}
