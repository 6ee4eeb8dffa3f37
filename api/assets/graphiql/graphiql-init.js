// Starts GraphiQL against this server's /graphql (queries, mutations) and /graphql/ws
// (subscriptions). Served from the binary, like GraphiQL itself.
(function () {
  function url(path, socket) {
    var address = new URL(path, window.location.origin);
    if (socket) {
      address.protocol = address.protocol === "https:" ? "wss:" : "ws:";
    }
    return address.toString();
  }
  // Signed in: the session's CSRF token, which /graphql asks of cookie-carrying requests.
  var meta = document.querySelector('meta[name="fundledger-csrf"]');
  var csrf = meta ? meta.getAttribute("content") : null;
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher: GraphiQL.createFetcher({
        url: url("/graphql", false),
        subscriptionUrl: url("/graphql/ws", true),
        fetch: function (input, init) {
          var options = Object.assign({}, init, { credentials: "same-origin" });
          if (csrf) {
            options.headers = Object.assign({}, options.headers, { "X-CSRF-Token": csrf });
          }
          return fetch(input, options);
        },
      }),
      defaultEditorToolsVisibility: true,
    })
  );
})();
