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
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher: GraphiQL.createFetcher({
        url: url("/graphql", false),
        subscriptionUrl: url("/graphql/ws", true),
        fetch: function (input, init) {
          return fetch(input, Object.assign({}, init, { credentials: "same-origin" }));
        },
      }),
      defaultEditorToolsVisibility: true,
    })
  );
})();
