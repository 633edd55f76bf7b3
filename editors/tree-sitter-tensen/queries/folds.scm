; Folds: items, clause bodies, step groups, inline events, long lists and
; block comments.

[
  (source_declaration)
  (signal_declaration)
  (sequence_declaration)
  (guardrail_declaration)
  (test_declaration)
  (step_block)
  (object)
  (list)
  (block_comment)
] @fold
