; Indentation for Helix (written by hand, not generated).

[
  (block)
  (step_block)
  (object)
  (list)
  (arguments)
  (parenthesized_expression)
  (quantifier_expression)
] @indent

[
  "}"
  "]"
  ")"
] @outdent
