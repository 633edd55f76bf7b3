; Scopes and definitions (nvim-treesitter names).

(source_file) @local.scope

[
  (source_declaration)
  (signal_declaration)
  (sequence_declaration)
  (guardrail_declaration)
  (test_declaration)
] @local.scope

(let_declaration
  name: (identifier) @local.definition.constant)

(entity_clause
  name: (identifier) @local.definition.variable.other.member)

(derive_clause
  name: (identifier) @local.definition.variable.other.member)

(step
  label: (identifier) @local.definition)

(path
  root: (identifier) @local.reference)
