; Highlights for tensen rule files. Capture names follow nvim-treesitter;
; editors/helix/queries/tensen/highlights.scm is generated from this file
; with Helix's names (see editors/helix/gen-queries.sh).
;
; No node is captured by two patterns, so the result does not depend on
; whether an editor lets the first or the last matching pattern win.

; Comments

(line_comment) @comment
(block_comment) @comment
(doc_comment) @comment.documentation

; Keywords

[
  "let"
  "source"
  "signal"
  "sequence"
  "guardrail"
  "test"
  "on"
] @keyword

[
  "title"
  "summary"
  "message"
  "severity"
  "from"
  "tactic"
  "technique"
  "report"
  "when"
  "deny"
  "except"
  "applies"
  "require"
  "recognize"
  "entity"
  "by"
  "within"
  "steps"
  "until"
  "scope"
  "time"
  "field"
  "derive"
  "input"
  "event"
  "expect"
  "count"
  "distinct"
  "optional"
  "absent"
  "unordered"
] @keyword

[
  "and"
  "or"
  "not"
  "in"
  "matches"
  "contains"
  "starts_with"
  "ends_with"
  "exists"
] @keyword.operator

; Operators and punctuation

[
  "=="
  "!="
  "<"
  "<="
  ">"
  ">="
  "=~"
  "="
  "+"
  "-"
  "*"
  "/"
  "|"
] @operator

[
  "("
  ")"
  "["
  "]"
] @punctuation.bracket

(block
  [
    "{"
    "}"
  ] @punctuation.bracket)

(step_block
  [
    "{"
    "}"
  ] @punctuation.bracket)

(object
  [
    "{"
    "}"
  ] @punctuation.bracket)

[
  ","
  ":"
  "."
] @punctuation.delimiter

(interpolation
  [
    "{"
    "}"
  ] @punctuation.special)

; Literals

(string) @string
(template_string) @string
(escape_sequence) @string.escape

[
  (integer)
  (duration)
] @number

(float) @number.float

[
  (true)
  (false)
] @boolean

(null) @constant.builtin

[
  (ipv4)
  (ipv6)
  (cidr)
] @constant

; Definitions

(signal_declaration
  name: (identifier) @function)

(sequence_declaration
  name: (identifier) @function)

(guardrail_declaration
  name: (identifier) @function)

(source_declaration
  name: (identifier) @type)

[
  (signal_declaration
    source: (identifier) @type)
  (guardrail_declaration
    source: (identifier) @type)
  (sequence_declaration
    source: (identifier) @type)
  (source_declaration
    source: (identifier) @type)
]

(let_declaration
  name: (identifier) @constant)

(entity_clause
  name: (identifier) @variable.member)

(derive_clause
  name: (identifier) @variable.member)

; Special strings: their content is captured, so that the quotes stay
; `@string` and no node gets two captures.

(input_clause
  path: (string
    (string_content) @string.special.path))

(technique_clause
  technique: (string
    (string_content) @string.special))

(tactic_clause
  tactic: (identifier) @constant)

(scope_clause
  scope: (identifier) @constant.builtin)

(type
  name: (identifier) @type.builtin)

; Sequences and tests

(step
  label: (identifier) @label)

(step
  signal: (identifier) @function)

(step
  by: (identifier) @variable.member)

(until_clause
  signal: (identifier) @function)

(by_clause
  entity: (identifier) @variable.member)

(count_test
  distinct: (identifier) @variable.member)

(expect_clause
  rule: (identifier) @function)

(expect_steps
  label: (identifier) @label)

(pair
  key: (string
    (string_content) @property))

; Expressions

(call_expression
  function: (identifier) @function.call)

; `any(x in LIST: BODY)`: the function like a call, `x` where it is bound.
; Its uses in BODY are path roots (`@variable`); locals.scm links them to
; the binding.

(quantifier_expression
  function: (identifier) @function.call)

(quantifier_expression
  variable: (identifier) @variable.parameter)

(path
  root: (identifier) @variable)

(field_name) @variable.member
