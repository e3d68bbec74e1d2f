# bash completion for stackd(8).
# Installed as /usr/share/bash-completion/completions/stackd.
_stackd() {
  local cur prev
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  case $prev in
    -c|--config)
      compopt -o filenames 2>/dev/null
      COMPREPLY=($(compgen -f -X '!*.toml' -- "$cur") $(compgen -d -- "$cur"))
      return 0 ;;
    -v|--log-level)
      COMPREPLY=($(compgen -W 'error warn info debug' -- "$cur"))
      return 0 ;;
  esac
  COMPREPLY=($(compgen -W '-c --config --check-config -v --log-level --version -h --help' -- "$cur"))
}
complete -F _stackd stackd
