//! End-to-end: a base URL carrying a password, through the real `terraform` at TF_LOG=trace.
//!
//! The provider refuses such a URL; neither the error Terraform prints nor any line of the
//! trace log may repeat the password, whether the URL came from the environment or from the
//! provider block.

use crate::support::World;

const PASSWORD: &str = "s3cr3t-p4ss";

/// `main.tf` with `provider_block` as the provider's body and one API key.
fn write_config(world: &World, provider_block: &str) {
    let org = world.org_id();
    let config = format!(
        "terraform {{\n  required_providers {{\n    mongodbatlas = {{ source = \"mongodb/mongodbatlas\" }}\n  }}\n}}\n\n\
         provider \"mongodbatlas\" {{\n{provider_block}}}\n\n\
         resource \"mongodbatlas_api_key\" \"test\" {{\n  org_id      = \"{org}\"\n  description = \"d\"\n  role_names  = [\"ORG_READ_ONLY\"]\n}}\n"
    );
    std::fs::write(world.dir.path().join("main.tf"), config).expect("write main.tf");
}

/// Plan and apply both fail with "Invalid base URL", print no password, and create nothing.
fn assert_refused_without_echo(world: &World) {
    for args in [
        &["plan", "-no-color", "-input=false"][..],
        &["apply", "-auto-approve", "-no-color", "-input=false"][..],
    ] {
        let run = world.terraform(args);
        assert_eq!(run.code, 1, "{args:?} should fail:\n{}", run.output());
        assert!(run.output().contains("Invalid base URL"), "{args:?}:\n{}", run.output());
        assert!(
            run.output().contains("must not contain a user name or password"),
            "{args:?}:\n{}",
            run.output()
        );
        assert!(!run.output().contains(PASSWORD), "{args:?} printed the password");
    }
    assert!(world.mutations().is_empty(), "nothing reached Atlas");
    world.assert_no_secrets_in_trace(&[PASSWORD]);
}

#[test]
fn base_url_password_from_the_environment_is_never_echoed() {
    let mut world = World::new();
    world.enable_trace();
    world.set_env(
        "MONGODB_ATLAS_BASE_URL",
        &format!("https://user:{PASSWORD}@127.0.0.1:1/"),
    );
    write_config(&world, "");
    assert_refused_without_echo(&world);
}

#[test]
fn base_url_password_in_the_provider_block_is_never_echoed() {
    let mut world = World::new();
    world.enable_trace();
    write_config(
        &world,
        &format!("  base_url = \"https://user:{PASSWORD}@127.0.0.1:1/\"\n"),
    );
    assert_refused_without_echo(&world);
}
