; Indentation (nvim-treesitter names).

[
  (block)
  (step_block)
  (object)
  (list)
  (arguments)
  (parenthesized_expression)
  (quantifier_expression)
] @indent.begin

[
  "}"
  "]"
  ")"
] @indent.branch

[
  (line_comment)
  (doc_comment)
  (block_comment)
] @indent.ignore
