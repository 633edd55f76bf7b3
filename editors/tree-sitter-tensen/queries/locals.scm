; Scopes and definitions (nvim-treesitter names).

(source_file) @local.scope

[
  (source_declaration)
  (signal_declaration)
  (sequence_declaration)
  (guardrail_declaration)
  (test_declaration)
] @local.scope

; `any(x in LIST: BODY)` binds `x` (in BODY; the scope is the whole
; expression, since a definition must lie inside its scope).
(quantifier_expression) @local.scope

(quantifier_expression
  variable: (identifier) @local.definition.parameter)

(let_declaration
  name: (identifier) @local.definition.constant)

(entity_clause
  name: (identifier) @local.definition.field)

(derive_clause
  name: (identifier) @local.definition.field)

(step
  label: (identifier) @local.definition)

(path
  root: (identifier) @local.reference)
