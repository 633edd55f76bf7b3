; The right side of `=~` is a regular expression (Rust `regex` syntax).
; Inline `event` objects are not injected as JSON: they allow trailing
; commas, which a JSON parser reports as errors, and the tensen grammar
; already parses them.

((binary_expression
  operator: "=~"
  right: (string
    (string_content) @injection.content))
  (#set! injection.language "regex"))

([
  (line_comment)
  (block_comment)
] @injection.content
  (#set! injection.language "comment"))
