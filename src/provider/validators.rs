//! Plan-time checks that know Atlas: its identifiers and its roles.

/// Most roles one key can hold in one scope. Atlas defines fewer than 30 roles in all, and
/// Terraform core compares planned and applied sets pairwise, so an unbounded set would let
/// one typo'd `for` expression stall `terraform apply` for minutes.
pub const MAX_ROLES: usize = 100;
