#!/bin/sh
# Stand-in for the entrypoint of Argo's test image argoproj/argosay:v2, which many Argo examples run without a
# command: "argosay [echo [MSG [FILE]] | cat FILE | sleep DURATION | exit [CODE] | assert_contains FILE TEXT | sh [FILE]]".
set -eu
verb=${1:-}
case "$verb" in
  '') echo "hello argo" ;;
  echo)
    if [ $# -le 1 ]; then echo "hello argo"
    elif [ $# -eq 2 ]; then echo "$2"
    else mkdir -p "$(dirname "$3")" && echo "$2" > "$3"
    fi ;;
  cat) cat "$2" ;;
  sleep) sleep "$2" ;;
  exit) exit "${2:-0}" ;;
  assert_contains) grep -F "$3" "$2" ;;
  sh) sh "${2:-0}" ;;
  *) exit 1 ;;
esac
