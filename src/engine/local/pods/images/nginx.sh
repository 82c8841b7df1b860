#!/bin/sh
# Stand-in for the nginx image's program as Argo's examples run it ("nginx", "nginx -g 'daemon off;'"): serves
# nginx's default welcome page on port 80 until killed. Other nginx options are refused.
set -eu
while [ $# -gt 0 ]; do
  case "$1" in
    -g) [ "${2:-}" = "daemon off;" ] || { echo "nginx stand-in: only -g 'daemon off;' is known" >&2; exit 1; }; shift 2 ;;
    *) echo "nginx stand-in: unknown option $1" >&2; exit 1 ;;
  esac
done
root=$(mktemp -d)
cat > "$root/index.html" <<'HTML'
<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>
</body>
</html>
HTML
exec python3 -m http.server 80 --bind 0.0.0.0 --directory "$root"
