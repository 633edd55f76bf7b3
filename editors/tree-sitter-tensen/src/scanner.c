// External scanner for tree-sitter-tensen.
//
// It lexes three tokens that regular expressions cannot express well:
//
// - BLOCK_COMMENT: `/* ... */`, which nests (`/* a /* b */ c */` is one
//   comment). An unclosed comment is not a comment: the scanner returns
//   false, so `/*` becomes a syntax error, as `tensen check` reports it.
// - STRING_CONTENT / TEMPLATE_CONTENT: the characters of a string between
//   its quotes, escapes and (in templates) `{...}` interpolations. Doing this
//   here means comment markers inside strings (`"/*"`, `"http://x"`) never
//   start a comment, and leading spaces are kept as content.
//
// The scanner keeps no state, so the serialize functions are trivial.

#include "tree_sitter/parser.h"

#include <stdbool.h>
#include <stdint.h>

enum TokenType {
  BLOCK_COMMENT,
  STRING_CONTENT,
  TEMPLATE_CONTENT,
};

void *tree_sitter_tensen_external_scanner_create(void) { return NULL; }

void tree_sitter_tensen_external_scanner_destroy(void *payload) { (void)payload; }

unsigned tree_sitter_tensen_external_scanner_serialize(void *payload, char *buffer) {
  (void)payload;
  (void)buffer;
  return 0;
}

void tree_sitter_tensen_external_scanner_deserialize(void *payload, const char *buffer,
                                                     unsigned length) {
  (void)payload;
  (void)buffer;
  (void)length;
}

static inline void advance(TSLexer *lexer) { lexer->advance(lexer, false); }

static inline void skip(TSLexer *lexer) { lexer->advance(lexer, true); }

static bool is_space(int32_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Content of a string: everything up to a quote, a backslash, a newline (a
// string is one line) or, in a template, an opening brace.
static bool scan_content(TSLexer *lexer, bool template) {
  bool any = false;
  for (;;) {
    int32_t c = lexer->lookahead;
    if (lexer->eof(lexer) || c == '"' || c == '\\' || c == '\n' || c == '\r' ||
        (template && c == '{')) {
      break;
    }
    advance(lexer);
    any = true;
  }
  lexer->mark_end(lexer);
  return any;
}

static bool scan_block_comment(TSLexer *lexer) {
  while (is_space(lexer->lookahead)) {
    skip(lexer);
  }
  if (lexer->lookahead != '/') {
    return false;
  }
  advance(lexer);
  if (lexer->lookahead != '*') {
    return false;
  }
  advance(lexer);

  unsigned depth = 1;
  while (!lexer->eof(lexer)) {
    int32_t c = lexer->lookahead;
    advance(lexer);
    if (c == '*' && lexer->lookahead == '/') {
      advance(lexer);
      if (--depth == 0) {
        lexer->mark_end(lexer);
        lexer->result_symbol = BLOCK_COMMENT;
        return true;
      }
    } else if (c == '/' && lexer->lookahead == '*') {
      advance(lexer);
      depth++;
    }
  }
  return false;
}

bool tree_sitter_tensen_external_scanner_scan(void *payload, TSLexer *lexer,
                                              const bool *valid_symbols) {
  (void)payload;
  // During error recovery every symbol is valid: then we cannot know whether
  // we are inside a string, so only look for comments.
  bool recovering = valid_symbols[STRING_CONTENT] && valid_symbols[TEMPLATE_CONTENT];

  if (!recovering && valid_symbols[STRING_CONTENT]) {
    lexer->result_symbol = STRING_CONTENT;
    return scan_content(lexer, false);
  }
  if (!recovering && valid_symbols[TEMPLATE_CONTENT]) {
    lexer->result_symbol = TEMPLATE_CONTENT;
    return scan_content(lexer, true);
  }
  if (valid_symbols[BLOCK_COMMENT]) {
    return scan_block_comment(lexer);
  }
  return false;
}
