// Recinto's layering, checked by dependency-cruiser (`./recinto lint`, `npm run lint:layers`).
// Paths are relative to the repository root. Type-only imports count like any other import
// (tsPreCompilationDeps), so a type cannot smuggle a forbidden dependency or close a cycle.
// CommonJS because dependency-cruiser loads its configuration with require().
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'No import cycle anywhere, type-only imports included: every folder is a layer, and a ' + 'module is readable (and testable) from its imports down.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'protocol-is-a-leaf',
      severity: 'error',
      comment:
        'protocol/ is the wire, imported by server and client: it imports only itself and npm ' +
        'packages (no server/, client/, test/, bench/, scripts/, and no Node built-ins, since the ' +
        'browser bundle includes it).',
      from: { path: '^protocol/' },
      to: { pathNot: '^(protocol/|node_modules/)' },
    },
    {
      name: 'media-below-meetings',
      severity: 'error',
      comment: "server/media is the SFU adapter: it implements the meeting core's media port and knows " + 'nothing of meetings, signalling or accounts.',
      from: { path: '^server/media/' },
      to: { path: '^server/(meetings|signaling|auth)/' },
    },
    {
      name: 'meetings-below-transports',
      severity: 'error',
      comment: 'server/meetings holds the meeting rules; the transports (signalling, HTTP) call it, never ' + 'the other way round.',
      from: { path: '^server/meetings/' },
      to: { path: '^server/(signaling|http)/' },
    },
    {
      name: 'auth-beside-meetings',
      severity: 'error',
      comment: 'server/auth (accounts, sessions) knows nothing of meetings or media.',
      from: { path: '^server/auth/' },
      to: { path: '^server/(meetings|media)/' },
    },
    {
      name: 'sso-above-auth',
      severity: 'error',
      comment:
        'server/sso (single sign-on with OpenID Connect) signs people in through the accounts and ' +
        'sessions of server/auth; auth never imports it, and it knows nothing of meetings, media, ' +
        'signalling or metrics.',
      from: { path: '^server/sso/' },
      to: { path: '^server/(meetings|media|signaling|metrics|http)/' },
    },
    {
      name: 'auth-below-sso',
      severity: 'error',
      comment: 'server/auth is what single sign-on builds on: it never imports server/sso.',
      from: { path: '^server/auth/' },
      to: { path: '^server/sso/' },
    },
    {
      name: 'nothing-below-reports-to-metrics',
      severity: 'error',
      comment:
        'server/metrics reads the running meetings and the media workers when scraped, and is told of ' +
        'refusals and join times through its port (server/metrics/port.ts) by the transports: the ' +
        'layers below them (store, audit, config, media, auth, meetings) never import it.',
      from: { path: '^server/(store|audit|config|media|auth|meetings)/' },
      to: { path: '^server/metrics/' },
    },
    {
      name: 'metrics-below-transports',
      severity: 'error',
      comment: 'server/metrics is wired by app.ts and called by signalling and the HTTP edge; it imports neither, nor auth.',
      from: { path: '^server/metrics/' },
      to: { path: '^server/(signaling|http|auth)/' },
    },
    {
      name: 'turn-is-a-leaf',
      severity: 'error',
      comment:
        'server/turn (the coturn configuration, TURN credentials) knows only the wire and the ' +
        'configuration: the signalling hands out what it makes, the CLI prints it.',
      from: { path: '^server/turn/' },
      to: { path: '^server/', pathNot: '^server/(turn/|config/)' },
    },
    {
      name: 'store-is-the-bottom',
      severity: 'error',
      comment: 'server/store (SQLite, migrations) imports nothing of server/ but itself.',
      from: { path: '^server/store/' },
      to: { path: '^server/', pathNot: '^server/store/' },
    },
    {
      name: 'audit-above-store-only',
      severity: 'error',
      comment: 'server/audit imports nothing of server/ but itself and server/store.',
      from: { path: '^server/audit/' },
      to: { path: '^server/', pathNot: '^server/(audit|store)/' },
    },
    {
      name: 'backup-above-store-and-audit',
      severity: 'error',
      comment:
        'server/backup (recinto backup and restore) works on the files of a data directory: it ' +
        'imports nothing of server/ but itself, server/store and server/audit (to audit).',
      from: { path: '^server/backup/' },
      to: { path: '^server/', pathNot: '^server/(backup|store|audit)/' },
    },
    {
      name: 'siem-above-audit',
      severity: 'error',
      comment:
        'server/siem (forwarding the audit trail to a SIEM) reads the chain and its checkpoints: it ' +
        'imports nothing of server/ but itself, server/audit, server/store and server/config.',
      from: { path: '^server/siem/' },
      to: { path: '^server/', pathNot: '^server/(siem|audit|store|config)/' },
    },
    {
      name: 'admin-above-the-rest',
      severity: 'error',
      comment:
        'server/admin (the admin console) uses the capabilities below it; none of them imports it ' +
        '(the organisation policy reaches meetings and sessions as plain functions): only app.ts and cli.ts wire it.',
      from: { path: '^server/', pathNot: '^server/(admin/|app\\.ts$|cli\\.ts$)' },
      to: { path: '^server/admin/' },
    },
    {
      name: 'client-not-to-server',
      severity: 'error',
      comment: 'The browser client shares only protocol/ with the server: nothing of server/ (nor of ' + 'test/, bench/, scripts/) goes into the bundle.',
      from: { path: '^client/' },
      to: { path: '^(server|test|bench|scripts)/' },
    },
    {
      name: 'e2ee-not-to-client-src',
      severity: 'error',
      comment: 'client/e2ee is the dependency-free encryption leaf: the call (client/src) uses it, it ' + 'never uses the call.',
      from: { path: '^client/e2ee/' },
      to: { path: '^client/src/' },
    },
    {
      name: 'call-below-views',
      severity: 'error',
      comment:
        'client/src/call is the call without the DOM (sessions, own and remote media, host ' +
        'controls, chat): it drives the page through its CallView port and imports no view.',
      from: { path: '^client/src/call/' },
      to: { path: '^client/src/(views/|dom\\.ts$|main\\.ts$)' },
    },
    {
      name: 'no-production-to-tests',
      severity: 'error',
      comment: 'Shipped code (protocol/, server/, client/) imports nothing of test/ or bench/.',
      from: { path: '^(protocol|server|client)/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'Every import resolves (a module that does not resolve would slip past the rules above).',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Only our own modules are followed; npm packages are leaves.
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|client/dist|test-output)/' },
    // Count `import type` and type-only re-exports: TypeScript erases them, the layering does not.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
