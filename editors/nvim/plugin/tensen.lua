-- tensen: language server and tree-sitter parser registration.
if vim.g.loaded_tensen then
  return
end
vim.g.loaded_tensen = true

-- Language server (Neovim 0.11+; the config is lsp/tensen.lua).
if vim.lsp.config and vim.lsp.enable then
  vim.lsp.config("tensen", {
    cmd = { "tensen", "lsp" },
    filetypes = { "tensen" },
    root_markers = { ".git" },
  })
  vim.lsp.enable("tensen")
end

-- Where nvim-treesitter fetches the grammar from. Placeholder URL: change it
-- with vim.g.tensen_repo_url before this file runs if your copy lives
-- elsewhere.
local url = vim.g.tensen_repo_url or "https://github.com/tensen-dev/tensen"
local location = "editors/tree-sitter-tensen"

-- nvim-treesitter `master` branch: parser configs are a table.
local ok, parsers = pcall(require, "nvim-treesitter.parsers")
if ok and type(parsers.get_parser_configs) == "function" then
  parsers.get_parser_configs().tensen = {
    install_info = {
      url = url,
      branch = "main",
      location = location,
      files = { "src/parser.c", "src/scanner.c" },
      generate_requires_npm = false,
      requires_generate_from_grammar = true,
    },
    filetype = "tensen",
  }
  return
end

-- nvim-treesitter `main` branch: register on the TSUpdate event; it also
-- installs the queries from the grammar's queries/ folder.
vim.api.nvim_create_autocmd("User", {
  pattern = "TSUpdate",
  callback = function()
    require("nvim-treesitter.parsers").tensen = {
      install_info = {
        url = url,
        branch = "main",
        location = location,
        generate = true,
        queries = location .. "/queries",
      },
      tier = 3,
    }
  end,
})
