-- Buffer settings for tensen rule files (`tensen fmt` uses 4 spaces).
vim.bo.commentstring = "// %s"
vim.bo.comments = "s1:/*,mb:*,ex:*/,:///,://"
vim.bo.expandtab = true
vim.bo.shiftwidth = 4
vim.bo.softtabstop = 4

-- Tree-sitter highlighting, folding and indentation when the parser is
-- installed (see plugin/tensen.lua); silently nothing otherwise.
if pcall(vim.treesitter.start) then
  vim.wo[0][0].foldmethod = "expr"
  vim.wo[0][0].foldexpr = "v:lua.vim.treesitter.foldexpr()"
  vim.wo[0][0].foldlevel = 99
end
