-- Language server config, found by vim.lsp.enable("tensen") (Neovim 0.11+).
return {
  cmd = { "tensen", "lsp" },
  filetypes = { "tensen" },
  root_markers = { ".git" },
}
