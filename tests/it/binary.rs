//! The built provider binary, run the way a person (not Terraform) would run it.

use std::process::Command;

use terraform_provider_mongodbatlas::tfplugin::NOT_A_PLUGIN_MESSAGE;

#[test]
fn run_by_hand_it_explains_itself_and_exits_1() {
    let output = Command::new(env!("CARGO_BIN_EXE_terraform-provider-mongodbatlas"))
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .output()
        .expect("run the provider binary");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "nothing on stdout");
    assert_eq!(
        String::from_utf8_lossy(&output.stderr).trim_end(),
        NOT_A_PLUGIN_MESSAGE.trim_end()
    );
}

#[test]
fn a_wrong_cookie_is_refused_too() {
    let output = Command::new(env!("CARGO_BIN_EXE_terraform-provider-mongodbatlas"))
        .env("TF_PLUGIN_MAGIC_COOKIE", "not-the-cookie")
        .output()
        .expect("run the provider binary");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
}

#[test]
fn version_prints_the_crate_version_without_the_cookie() {
    for flag in ["--version", "-version"] {
        let output = Command::new(env!("CARGO_BIN_EXE_terraform-provider-mongodbatlas"))
            .arg(flag)
            .env_remove("TF_PLUGIN_MAGIC_COOKIE")
            .output()
            .expect("run the provider binary");
        assert_eq!(output.status.code(), Some(0), "{flag}");
        assert_eq!(
            String::from_utf8_lossy(&output.stdout).trim_end(),
            format!("terraform-provider-mongodbatlas {}", env!("CARGO_PKG_VERSION")),
            "{flag}"
        );
        assert!(output.stderr.is_empty(), "{flag}");
    }
}
