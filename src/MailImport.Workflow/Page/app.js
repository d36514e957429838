// The import page: talks only to the public HTTP API (/api/imports). No framework, no build step.
// The API key lives in this tab's sessionStorage and travels only in the x-functions-key header, never in a URL;
// the batch id may sit in the address's hash so a reload keeps the view.
'use strict';

(() => {
  const KEY_STORAGE = 'mailimport.apiKey';
  const POLL_MS = 1500;
  // The batch view shows one page of lines at a time, read as such from the status (offset, limit, state), so a
  // 20,000-line batch costs the browser as many rows as a 100-line one.
  const PAGE_SIZE = 100;
  const ROW_FILTERS = { all: '', failed: 'Failed', running: 'Running,Paused' };
  const ENDED = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);
  const PRESETS = {
    gmail: { imap: 'imap.gmail.com', pop3: 'pop.gmail.com' },
    mailru: { imap: 'imap.mail.ru', pop3: 'pop.mail.ru' },
    yandex: { imap: 'imap.yandex.ru', pop3: 'pop.yandex.ru' },
    outlook: { imap: 'outlook.office365.com', pop3: 'outlook.office365.com' },
  };
  const STANDARD_PORTS = { imap: { ssl: 993, starttls: 143, none: 143 }, pop3: { ssl: 995, starttls: 110, none: 110 } };
  const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;
  const IPV6 = /^[0-9a-f:.]+$/i;
  const FINGERPRINT = /^[0-9a-f]{64}$/i;
  // The destination rules' fixes in the words of the page's tables (the API's name JSON fields and the file's
  // four-field form, which the admin here never sees).
  const PAGE_FIXES = {
    UsernameEmpty: 'Give a login with a name before the @, or type a New username.',
    UsernameTooLong: 'Type a New username of at most 30 characters; the login at the source stays as it is.',
    UsernameInvalidCharacter: "Type a New username of Latin letters, digits, '-' and '.' only; the login at the source stays as it is.",
    UsernameMustStartWithLetter: 'Type a New username that starts with a Latin letter; the login at the source stays as it is.',
    UsernameMustEndWithLetterOrDigit: 'Type a New username that ends with a Latin letter or digit; the login at the source stays as it is.',
    PasswordTooShort: 'Type a New password of 6–20 characters; the Password stays the source\'s.',
    PasswordTooLong: 'Type a New password of 6–20 characters; the Password stays the source\'s.',
    PasswordInvalidCharacter: 'Type a New password of Latin letters, digits and ! @ # $ % ^ & * ( ) _ - + : ; , . only; the Password stays the source\'s.',
    PasswordEqualsUsername: 'Type a New password that differs from the username.',
    LineDuplicateDestination: 'Remove the repeated mailbox, or type another New username for one of them.',
    DestinationPasswordMissing: 'Type a New password for the new mailbox.',
  };
  // The sentence the API adds to a rule's message to say where a new username or password goes in its own forms.
  const API_PLACE_HINT = / (Keep the source login and give a new username|The source password is used for the new mailbox unless you give a new one) (in newLogin|in newPassword|with the four-field form).*$/;
  const CORRECTABLE_STATES = ['Failed', 'Partial', 'Invalid'];
  const CORRECTABLE = new Set(CORRECTABLE_STATES);
  // The most rows the correction table shows, the status's largest page: more failures than that are fixed with a file.
  const CORRECTION_LIMIT = 1000;
  const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  // The API's names of the sign-in fields, as the page labels them.
  const FIELD_NAMES = {
    'source.authentication.type': 'Sign-in at the source',
    'source.authentication.serviceAccountKey': 'Service account key',
    'source.authentication.tenantId': 'Tenant (directory) ID or domain',
    'source.authentication.clientId': 'Application (client) ID',
    'source.authentication.clientSecret': 'Client secret',
    'source.authentication.clientCertificate': 'Certificate (.pfx)',
    'source.authentication.clientCertificatePassword': 'The .pfx file\'s password',
    'options.gmail': 'How to copy Gmail',
  };

  const $ = (id) => document.getElementById(id);
  const apiBase = apiRoot() + '/api/imports';
  let rowCounter = 0;
  let pollTimer = null;
  let batchId = null;
  let lastStatus = null;
  let announced = '';
  let samples = [];
  // What the admin typed into the manual table for the batch started from this tab, by source login, so its failed
  // rows come back in the correction table as they were typed. Kept in memory only, like the table's own inputs.
  let typed = { batchId: null, rows: new Map() };
  // The batch lines of the corrected file the page last sent, by the file's line number, to name its problems.
  let sentLines = [];
  let pageOffset = 0;
  let rowFilter = 'all';
  // What each mailbox row shows, as the status gave it: a row whose line is the same is not rewritten.
  const shownLines = new WeakMap();

  // The page is served at / (local host) or under /api/page/ (Functions app): the API sits at the same root.
  function apiRoot() {
    const path = location.pathname;
    const at = path.indexOf('/api/page');
    return at >= 0 ? path.slice(0, at) : path.slice(0, path.lastIndexOf('/'));
  }

  // ---------------------------------------------------------------- the key

  const getKey = () => sessionStorage.getItem(KEY_STORAGE);

  function show(section) {
    for (const id of ['key-section', 'start-section', 'batch-section']) {
      $(id).hidden = id !== section;
    }
    $('forget-key').hidden = section === 'key-section';
  }

  function askForKey(message) {
    stopPolling();
    sessionStorage.removeItem(KEY_STORAGE);
    $('key-error').textContent = message || '';
    show('key-section');
    $('api-key').focus();
  }

  async function onKeySubmit(event) {
    event.preventDefault();
    const key = $('api-key').value.trim();
    if (!key) {
      $('key-error').textContent = 'Enter the API key.';
      return;
    }
    // A status call for an id no batch has: 404 means the key is right, 401 that it is not.
    try {
      const response = await fetch(apiBase + '/' + '0'.repeat(32), { headers: { 'x-functions-key': key } });
      if (response.status === 401) {
        $('key-error').textContent = 'The API key was refused. Check it and try again.';
        return;
      }
    } catch (e) {
      $('key-error').textContent = 'The service could not be reached: ' + e.message;
      return;
    }
    sessionStorage.setItem(KEY_STORAGE, key);
    $('api-key').value = '';
    $('key-error').textContent = '';
    route();
  }

  // Every API call: the key in the header, JSON or a file back; a refused key sends the admin back to the key form.
  async function api(path, options = {}) {
    const headers = Object.assign({ 'x-functions-key': getKey() }, options.headers || {});
    const response = await fetch(apiBase + path, Object.assign({}, options, { headers, cache: 'no-store' }));
    if (response.status === 401) {
      askForKey('The API key was refused. Enter it again.');
      throw new Error('The API key was refused.');
    }
    return response;
  }

  async function readJson(response) {
    try {
      return await response.json();
    } catch {
      return { error: `The service answered ${response.status} ${response.statusText}.` };
    }
  }

  // ---------------------------------------------------------------- the start form

  function selectedPreset() {
    return document.querySelector('input[name="preset"]:checked').value;
  }

  function applyPreset() {
    const preset = selectedPreset();
    const custom = preset === 'custom';
    const protocol = $('protocol').value;
    for (const id of ['host', 'port']) {
      $(id).readOnly = !custom;
    }
    $('security').disabled = !custom;
    if (!custom) {
      $('host').value = PRESETS[preset][protocol];
      $('port').value = String(STANDARD_PORTS[protocol].ssl);
      $('security').value = 'ssl';
    } else if (Object.values(PRESETS).some((p) => p.imap === $('host').value || p.pop3 === $('host').value)) {
      $('host').value = '';
    }
    validateSource();
  }

  function onProtocolOrSecurityChange() {
    if (selectedPreset() !== 'custom') {
      applyPreset();
      return;
    }
    // A port still at a standard value follows the protocol and security; one the admin typed stays.
    const standard = Object.values(STANDARD_PORTS).flatMap((p) => Object.values(p)).map(String);
    if ($('port').value === '' || standard.includes($('port').value)) {
      $('port').value = String(STANDARD_PORTS[$('protocol').value][$('security').value]);
    }
    validateSource();
  }

  function setFieldError(id, message) {
    const input = $(id);
    const error = $(id + '-error');
    error.textContent = message || '';
    if (message) {
      input.setAttribute('aria-invalid', 'true');
    } else {
      input.removeAttribute('aria-invalid');
    }
    return !message;
  }

  function hostProblem(host) {
    if (!host) {
      return 'Give the server\'s host name, such as imap.example.org.';
    }
    if (host.includes('://') || host.includes('/')) {
      return 'Give only the host name, without imap:// or a path.';
    }
    return HOST_NAME.test(host) || (host.includes(':') && IPV6.test(host)) ? '' : 'This is not a valid host name or IP address.';
  }

  function portProblem(port) {
    if (port === '') {
      return '';
    }
    const n = Number(port);
    return /^\d+$/.test(port) && n >= 1 && n <= 65535 ? '' : 'The port is a number between 1 and 65535.';
  }

  function fingerprintProblem(text) {
    const hex = text.replace(/:/g, '');
    return text === '' || FINGERPRINT.test(hex) ? '' : 'A SHA-256 fingerprint is 64 hexadecimal digits (colons allowed).';
  }

  function validateSource() {
    const custom = selectedPreset() === 'custom';
    let ok = setFieldError('host', custom ? hostProblem($('host').value.trim()) : '');
    ok = setFieldError('port', custom ? portProblem($('port').value.trim()) : '') && ok;
    ok = setFieldError('fingerprint', fingerprintProblem($('fingerprint').value.trim())) && ok;
    $('security-note').textContent = custom && $('security').value === 'none'
      ? 'Warning: without security, passwords travel in clear text.' : '';
    return ok;
  }

  function validateDomain() {
    const domain = $('domain').value.trim();
    const problem = !domain ? 'Give the destination domain, such as example.org.'
      : HOST_NAME.test(domain) && domain.includes('.') ? '' : 'This is not a domain name.';
    return setFieldError('domain', problem);
  }

  function addRow(values = {}) {
    rowCounter += 1;
    const n = rowCounter;
    const row = document.createElement('tr');
    const cells = [
      ['login', 'text', 'Login at the source'],
      ['password', 'password', 'Password'],
      ['newLogin', 'text', 'New username'],
      ['newPassword', 'password', 'New password'],
    ];
    for (const [name, type, title] of cells) {
      row.append(entryCell(`entry-${n}-${name}`, name, type, `${title}, mailbox ${n}`, values[name]));
    }
    const remove = document.createElement('td');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'remove';
    button.textContent = 'Remove';
    button.setAttribute('aria-label', `Remove mailbox ${n}`);
    button.addEventListener('click', () => {
      const next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      if (!$('entry-rows').children.length) {
        addRow();
      }
      (next || $('entry-rows').lastElementChild).querySelector('input').focus();
    });
    remove.append(button);
    row.append(remove);
    $('entry-rows').append(row);
    showPasswordColumn($('manual-entry'), authKind() === 'password');
    return row;
  }

  // ---------------------------------------------------------------- sign-in at the source

  function authKind() {
    return document.querySelector('input[name="auth"]:checked').value;
  }

  // A batch signed in to with tokens takes no source password: its tables lose the Password column (README "The
  // credential file of a batch reached with tokens").
  function showPasswordColumn(container, shown) {
    for (const element of container.querySelectorAll('[data-column="password"], input[data-field="password"]')) {
      const cell = element.tagName === 'INPUT' ? element.closest('td') : element;
      cell.hidden = !shown;
    }
  }

  function onAuthChange() {
    const kind = authKind();
    $('auth-google').hidden = kind !== 'googleServiceAccount';
    $('auth-microsoft').hidden = kind !== 'microsoftAppOnly';
    $('auth-hint').hidden = kind === 'password';
    $('file-hint').hidden = kind !== 'password';
    $('file-hint-token').hidden = kind === 'password';
    showPasswordColumn($('manual-entry'), kind === 'password');
    onAppCredentialChange();
  }

  // The Microsoft app proves itself with a client secret or a certificate, never both (README "Source authentication").
  function appCredential() {
    return document.querySelector('input[name="app-credential"]:checked').value;
  }

  function onAppCredentialChange() {
    $('app-secret').hidden = appCredential() !== 'secret';
    $('app-certificate').hidden = appCredential() !== 'certificate';
    for (const id of ['service-account-key', 'tenant-id', 'client-id', 'client-secret', 'client-certificate', 'client-certificate-password']) {
      setFieldError(id, '');
    }
  }

  function validateAuth() {
    const kind = authKind();
    if (kind === 'googleServiceAccount') {
      return setFieldError('service-account-key', $('service-account-key').files.length ? '' : 'Choose the service account\'s JSON key file.');
    }
    if (kind !== 'microsoftAppOnly') {
      return true;
    }
    const tenant = $('tenant-id').value.trim();
    let ok = setFieldError('tenant-id', GUID.test(tenant) || (HOST_NAME.test(tenant) && tenant.includes('.')) ? ''
      : 'Give the Directory (tenant) ID from the app registration\'s Overview page, or a domain such as contoso.onmicrosoft.com.');
    ok = setFieldError('client-id', GUID.test($('client-id').value.trim()) ? ''
      : 'Give the Application (client) ID from the app registration\'s Overview page (a GUID).') && ok;
    if (appCredential() === 'certificate') {
      return setFieldError('client-certificate', $('client-certificate').files.length ? ''
        : 'Choose the app\'s certificate as a .pfx file with its private key.') && ok;
    }
    ok = setFieldError('client-secret', $('client-secret').value.trim() ? ''
      : 'Give the client secret\'s Value (Certificates & secrets > Client secrets), not its Secret ID.') && ok;
    return ok;
  }

  // source.authentication as the API takes it (README "Source authentication"); null for passwords. The key file is
  // read only now, at submit, and never kept.
  async function authenticationSettings() {
    const kind = authKind();
    if (kind === 'googleServiceAccount') {
      let key;
      try {
        key = JSON.parse(await $('service-account-key').files[0].text());
      } catch {
        key = null;
      }
      if (!key || typeof key !== 'object' || Array.isArray(key)) {
        setFieldError('service-account-key', 'This file is not a JSON key: choose the key file as downloaded.');
        return { problem: true };
      }
      return { authentication: { type: kind, serviceAccountKey: key } };
    }
    if (kind === 'microsoftAppOnly') {
      const app = { type: kind, tenantId: $('tenant-id').value.trim(), clientId: $('client-id').value.trim() };
      if (appCredential() === 'certificate') {
        // The .pfx is read only now and sent as base64, with its password; neither is kept.
        app.clientCertificate = toBase64(new Uint8Array(await $('client-certificate').files[0].arrayBuffer()));
        app.clientCertificatePassword = $('client-certificate-password').value;
      } else {
        app.clientSecret = $('client-secret').value;
      }
      return { authentication: app };
    }
    return { authentication: null };
  }

  // Once a start was sent the key file, the client secret and the certificate leave the page: the service keeps them
  // sealed.
  function forgetSourceSecrets() {
    for (const id of ['client-secret', 'service-account-key', 'client-certificate', 'client-certificate-password']) {
      $(id).value = '';
    }
  }

  // Standard base64 of bytes, as the API takes clientCertificate; in slices, as String.fromCharCode takes a bounded
  // number of arguments.
  function toBase64(bytes) {
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000) {
      binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    }
    return btoa(binary);
  }

  function onGmailModeChange() {
    // Gmail's folders include Spam and Trash already; the two choices are for copying by message or per label.
    const folders = $('gmail-mode').value === 'folders';
    for (const id of ['gmail-spam', 'gmail-trash']) {
      $(id).disabled = folders;
    }
  }

  // One input of an entry table (the manual table or the correction table), labelled for screen readers.
  function entryCell(id, name, type, labelText, value) {
    const cell = document.createElement('td');
    const label = document.createElement('label');
    label.className = 'visually-hidden';
    label.htmlFor = id;
    label.textContent = labelText;
    const input = document.createElement('input');
    input.id = id;
    input.type = type;
    input.dataset.field = name;
    input.autocomplete = type === 'password' ? 'new-password' : 'off';
    input.spellcheck = false;
    input.value = value || '';
    cell.append(label, input);
    return cell;
  }

  function manualEntries() {
    const entries = [];
    for (const row of $('entry-rows').children) {
      const entry = {};
      for (const input of row.querySelectorAll('input')) {
        if (input.value !== '' && !input.closest('td').hidden) {
          entry[input.dataset.field] = input.value;
        }
      }
      if (Object.keys(entry).length) {
        entries.push(entry);
      }
    }
    return entries;
  }

  function entryMode() {
    return document.querySelector('input[name="entry-mode"]:checked').value;
  }

  function onEntryModeChange() {
    const file = entryMode() === 'file';
    $('manual-entry').hidden = file;
    $('file-entry').hidden = !file;
    $('begin').textContent = file ? 'Upload a file and begin import' : 'Begin transfer';
  }

  function sourceSettings() {
    const preset = selectedPreset();
    const source = { protocol: $('protocol').value };
    if (preset === 'custom') {
      source.host = $('host').value.trim();
      if ($('port').value.trim()) {
        source.port = Number($('port').value.trim());
      }
      source.security = $('security').value;
    } else {
      source.preset = preset;
    }
    const fingerprint = $('fingerprint').value.trim();
    if (fingerprint) {
      source.trustedCertificateSha256 = fingerprint;
    }
    return source;
  }

  function showProblems(container, error) {
    container.replaceChildren();
    if (!error) {
      return;
    }
    const heading = document.createElement('p');
    heading.className = 'problem';
    heading.textContent = error.error || 'The request was refused.';
    container.append(heading);
    if (error.problems && error.problems.length) {
      const list = document.createElement('ul');
      for (const p of error.problems) {
        const item = document.createElement('li');
        const where = document.createElement('strong');
        where.textContent = describeField(p.field) + ': ';
        item.append(where, document.createTextNode(pageMessage(p.message) + ' '));
        const code = document.createElement('code');
        code.textContent = p.code;
        item.append(code);
        list.append(item);
      }
      container.append(list);
    }
    container.focus();
  }

  function describeField(field) {
    if (FIELD_NAMES[field]) {
      return FIELD_NAMES[field];
    }
    if (!$('batch-section').hidden && /^line \d+$/.test(field)) {
      // A problem of the corrected file the page wrote: its line stands for a mailbox of the correction table.
      const line = sentLines[Number(field.slice(5)) - 1];
      return line ? 'Mailbox ' + line : field;
    }
    if (entryMode() === 'manual' && /^line \d+$/.test(field)) {
      return 'Mailbox ' + field.slice(5);
    }
    return field === 'file' ? 'File' : field.charAt(0).toUpperCase() + field.slice(1);
  }

  async function onStartSubmit(event) {
    event.preventDefault();
    const problems = $('start-problems');
    showProblems(problems, null);
    const valid = validateDomain() & validateSource() & validateAuth();
    if (!valid) {
      showProblems(problems, { error: 'Fix the highlighted fields first.' });
      return;
    }
    const auth = await authenticationSettings();
    if (auth.problem) {
      showProblems(problems, { error: 'Fix the highlighted fields first.' });
      return;
    }
    const source = sourceSettings();
    if (auth.authentication) {
      source.authentication = auth.authentication;
    }
    const gmailFolders = $('gmail-mode').value === 'folders';
    const settings = {
      domain: $('domain').value.trim(),
      source,
      options: {
        dryRun: $('dry-run').checked,
        gmail: $('gmail-mode').value,
        includeGmailSpam: !gmailFolders && $('gmail-spam').checked,
        includeGmailTrash: !gmailFolders && $('gmail-trash').checked,
        includeGmailAllMail: $('gmail-all-mail').checked,
        schedule: $('schedule-daily').checked ? 'default' : null,
      },
    };
    let request;
    if (entryMode() === 'file') {
      const file = $('credential-file').files[0];
      if (!file) {
        showProblems(problems, { error: 'Choose the credential file to upload.' });
        return;
      }
      const form = new FormData();
      form.append('file', file, file.name);
      form.append('settings', JSON.stringify(settings));
      request = { method: 'POST', body: form };
    } else {
      const entries = manualEntries();
      if (!entries.length) {
        showProblems(problems, { error: authKind() === 'password' ? 'Enter at least one mailbox: its login and password.' : 'Enter at least one mailbox: its login.' });
        return;
      }
      request = { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(Object.assign(settings, { entries })) };
    }

    $('begin').disabled = true;
    try {
      const response = await api('', request);
      const body = await readJson(response);
      if (response.status !== 202) {
        showProblems(problems, body);
        return;
      }
      typed = { batchId: body.batchId, rows: new Map(), tokens: authKind() !== 'password' };
      if (entryMode() === 'manual') {
        for (const entry of manualEntries()) {
          typed.rows.set((entry.login || '').toLowerCase(), entry);
        }
      }
      openBatch(body.batchId);
    } catch (e) {
      if (getKey()) {
        showProblems(problems, { error: 'The service could not be reached: ' + e.message });
      }
    } finally {
      if (auth.authentication) {
        forgetSourceSecrets();
      }
      $('begin').disabled = false;
    }
  }

  // ---------------------------------------------------------------- the batch view

  function openBatch(id) {
    batchId = id;
    lastStatus = null;
    announced = '';
    samples = [];
    history.replaceState(null, '', '#batch=' + id);
    $('batch-id').textContent = id;
    $('mailbox-rows').replaceChildren();
    $('correction-rows').replaceChildren();
    pageOffset = 0;
    rowFilter = 'all';
    $('row-filter').value = 'all';
    $('batch-problems').replaceChildren();
    $('sum-rate').textContent = '—';
    show('batch-section');
    $('batch-heading').focus();
    poll();
  }

  function stopPolling() {
    clearTimeout(pollTimer);
    pollTimer = null;
  }

  async function poll() {
    stopPolling();
    const id = batchId;
    let status;
    try {
      const response = await api('/' + id + statusQuery());
      if (response.status === 404) {
        showProblems($('batch-problems'), { error: 'There is no import with that id.' });
        return;
      }
      status = await readJson(response);
    } catch (e) {
      if (getKey() && id === batchId) {
        showProblems($('batch-problems'), { error: 'The status could not be read: ' + e.message + ' Trying again.' });
        pollTimer = setTimeout(poll, POLL_MS * 2);
      }
      return;
    }
    if (id !== batchId) {
      return;
    }
    render(status);
    await renderCorrectionOf(id, status);
    // A close is accepted at once and finishes in the background: follow it until its secrets are deleted.
    if (!ENDED.has(status.status) || status.closeState === 'Closing') {
      pollTimer = setTimeout(poll, POLL_MS);
    }
  }

  function statusQuery() {
    const state = ROW_FILTERS[rowFilter];
    return `?offset=${pageOffset}&limit=${PAGE_SIZE}` + (state ? '&state=' + encodeURIComponent(state) : '');
  }

  // A page or filter change reads the status at once; a run that goes on keeps being polled from there.
  function showPage(offset) {
    pageOffset = Math.max(0, offset);
    poll();
  }

  function onRowFilterChange() {
    rowFilter = $('row-filter').value;
    showPage(0);
  }

  function renderPager(page) {
    const matched = page ? page.matched : 0;
    const first = matched ? pageOffset + 1 : 0;
    const last = Math.min(pageOffset + PAGE_SIZE, matched);
    $('page-info').textContent = matched ? `Lines ${formatCount(first)}–${formatCount(last)} of ${formatCount(matched)}` : 'No line to show';
    $('page-first').disabled = pageOffset === 0;
    $('page-prev').disabled = pageOffset === 0;
    $('page-next').disabled = !page || page.nextOffset == null;
    $('page-last').disabled = !page || page.nextOffset == null;
    $('page-last').dataset.offset = String(Math.max(0, Math.floor((matched - 1) / PAGE_SIZE) * PAGE_SIZE));
  }

  const percent = (part, whole) => (whole > 0 ? Math.floor((100 * part) / whole) : 0);

  function formatBytes(bytes) {
    const units = ['B', 'KB', 'MB', 'GB', 'TB'];
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return (unit === 0 ? String(value) : value.toFixed(value < 10 ? 1 : 0)) + ' ' + units[unit];
  }

  const formatCount = (n) => n.toLocaleString('en');

  function latestRun(status) {
    return status.runs[status.runs.length - 1];
  }

  function runName(run) {
    const modes = { Full: 'full import', RetryFailed: 're-run of failed mailboxes', Incremental: 'incremental re-run', DryRun: 'dry run' };
    return `Run ${run.runId.split('-r').pop()}: ${modes[run.mode] || run.mode}`;
  }

  function describeRun(run) {
    return `${runName(run)}, started ${new Date(run.startedAt).toLocaleString('en-GB')}`;
  }

  function render(status) {
    lastStatus = status;
    const run = latestRun(status);
    const ended = ENDED.has(status.status);
    const dryRun = run.mode === 'DryRun';
    $('batch-domain').textContent = status.domain;
    $('batch-run').textContent = describeRun(run);
    $('batch-heading').textContent = dryRun ? 'Dry run (pre-flight report)' : 'Import';

    // The counts are the whole batch's, whatever page and filter the rows show.
    const counts = status.counts || {};
    const order = ['Done', 'Ready', 'Running', 'Paused', 'Pending', 'Partial', 'Failed', 'Invalid'];
    const lines = Object.values(counts).reduce((sum, n) => sum + n, 0);
    $('sum-mailboxes').textContent = `${formatCount(lines)}: ` +
      order.filter((s) => counts[s]).map((s) => `${formatCount(counts[s])} ${s.toLowerCase()}`).join(', ');
    const t = status.totals;
    renderTotals(t, status.progress);
    renderRate(t, ended);

    const state = ended
      ? `${status.status === 'Completed' ? 'Finished' : 'Ended: ' + status.status}. ` + (dryRun
        ? 'Nothing was created or copied; check the report below, then begin the real transfer.'
        : (counts.Failed || counts.Invalid || counts.Partial ? 'Fix the errors below, then re-run the failed mailboxes.' : 'Every mailbox is done.'))
      : (status.status === 'Pending' ? 'Starting…' : 'Running…');
    if (state !== announced) {
      $('batch-state').textContent = state;
      announced = state;
    }
    $('batch-state').dataset.status = status.status;

    renderRuns(status.runSummaries || [], dryRun);
    renderRows(status.mailboxes);
    renderPager(status.page);
    renderActions(status, ended, dryRun);
    renderRetention(status);
  }

  // The correction table: each failed, partial or invalid mailbox as a row of the manual table, its login fixed, its
  // other fields as typed in this tab (or empty after a reload: the service never gives a password back). Rows the
  // admin is editing survive the polls; a mailbox that has since finished leaves the table.
  // The rows come from the whole batch, not from the page of lines on show: their own read of the status, filtered to the
  // states a correction can fix, so paging through the lines never drops a row the admin is editing.
  async function renderCorrectionOf(id, status) {
    let mailboxes = [];
    if (ENDED.has(status.status) && !status.closed && CORRECTABLE_STATES.some((s) => (status.counts || {})[s])) {
      try {
        const response = await api('/' + id + `?state=${CORRECTABLE_STATES.join(',')}&limit=${CORRECTION_LIMIT}`);
        mailboxes = (await readJson(response)).mailboxes || [];
      } catch (e) {
        return; // the rows stay as they were; the next read of the status tries again
      }
    }
    if (id === batchId) {
      renderCorrection(status, mailboxes);
    }
  }

  function renderCorrection(status, mailboxes) {
    const body = $('correction-rows');
    const rows = new Map([...body.children].map((r) => [r.dataset.line, r]));
    const wanted = mailboxes.filter((m) => CORRECTABLE.has(m.status) && m.sourceLogin);
    for (const m of wanted) {
      const key = String(m.lineNumber);
      if (!rows.has(key)) {
        body.append(correctionRow(m));
      }
      rows.delete(key);
    }
    for (const stale of rows.values()) {
      stale.remove();
    }
    $('correction').hidden = wanted.length === 0;
    const counts = status.counts || {};
    const correctable = CORRECTABLE_STATES.reduce((sum, s) => sum + (counts[s] || 0), 0);
    $('correction-more').hidden = correctable <= CORRECTION_LIMIT;
    $('correction-more').textContent = `The first ${formatCount(CORRECTION_LIMIT)} of ${formatCount(correctable)} are listed; ` +
      'fix the others with a corrected file.';
    showPasswordColumn($('correction'), !usesTokens(status));
  }

  // The batch signs in at the source with tokens (the status says so; before the first poll, what this tab started).
  const usesTokens = (status) => (status && status.sourceAuthentication
    ? status.sourceAuthentication !== 'Password' : typed.batchId === batchId && typed.tokens === true);

  function correctionRow(m) {
    const row = document.createElement('tr');
    row.dataset.line = String(m.lineNumber);
    row.dataset.login = m.sourceLogin;
    const line = document.createElement('td');
    line.textContent = String(m.lineNumber);
    const login = document.createElement('td');
    login.className = 'login';
    login.textContent = m.sourceLogin;
    row.append(line, login);
    const known = typed.batchId === batchId ? typed.rows.get(m.sourceLogin.toLowerCase()) || {} : {};
    const cells = [['password', 'password', 'Password'], ['newLogin', 'text', 'New username'], ['newPassword', 'password', 'New password']];
    for (const [name, type, title] of cells) {
      row.append(entryCell(`fix-${m.lineNumber}-${name}`, name, type, `${title}, line ${m.lineNumber}`, known[name]));
    }
    row.addEventListener('input', () => { row.dataset.edited = 'true'; });
    return row;
  }

  // The corrected file from the rows the admin changed, in the credential file's grammar: fields split by a space,
  // a field with a space, a tab or a leading quote written in quotes with "" for a quote (README "The credential
  // file"). Its text is null when no row was changed; a problem says why a row cannot be written.
  function correctedFile() {
    const lines = [];
    const numbers = [];
    for (const row of $('correction-rows').children) {
      if (row.dataset.edited !== 'true') {
        continue;
      }
      const value = (field) => row.querySelector(`input[data-field="${field}"]`).value;
      const login = row.dataset.login;
      const password = value('password');
      const newLogin = value('newLogin').trim();
      const newPassword = value('newPassword');
      const fields = [login];
      if (usesTokens(lastStatus)) {
        // login, login newlogin, or login newlogin newpassword: a new password needs the username before it.
        if (newLogin || newPassword) {
          fields.push(newLogin || localPart(login));
        }
        if (newPassword) {
          fields.push(newPassword);
        }
      } else if (!password) {
        return { problem: `Mailbox ${row.dataset.line}: type its Password too; the corrected row replaces the one the batch has.` };
      } else {
        fields.push(password);
        if (newLogin || newPassword) {
          // The four-field form: a new username needs the new password beside it, and the other way round.
          fields.push(newLogin || localPart(login), newPassword || password);
        }
      }
      lines.push(fields.map(quoteField).join(' '));
      numbers.push(Number(row.dataset.line));
    }
    sentLines = numbers;
    return { text: lines.length ? lines.join('\n') + '\n' : null };
  }

  const localPart = (login) => (login.lastIndexOf('@') < 0 ? login : login.slice(0, login.lastIndexOf('@')));

  const quoteField = (field) => (field === '' || /[ \t]/.test(field) || field.startsWith('"')
    ? '"' + field.replace(/"/g, '""') + '"' : field);

  // A rule's message without the API's sentence on where its own forms take a new username or password.
  const pageMessage = (message) => (message || '').replace(API_PLACE_HINT, '');

  // The totals come from the run's count at the source, made before its first chunk, so the bar's share is of the
  // whole run; until every mailbox is counted the page says so instead of showing a share of a part.
  function renderTotals(t, progress) {
    const overall = $('sum-progress');
    const plan = progress && progress.plan;
    if (plan && progress.phase === 'Counting') {
      $('sum-messages').textContent = `counting… ${formatCount(plan.counted)} of ${formatCount(plan.mailboxes)} mailboxes counted`;
      $('sum-bytes').textContent = 'counting…';
      $('sum-percent').textContent = 'counting…';
      overall.removeAttribute('value');
      overall.setAttribute('aria-valuetext', 'Counting the mailboxes');
      return;
    }
    const messages = plan ? plan.messages : t.messagesTotal;
    const bytes = plan ? plan.bytes : t.bytesTotal;
    $('sum-messages').textContent = `${formatCount(t.messagesCopied)} of ${formatCount(messages)} copied` +
      (plan ? ` in ${formatCount(plan.folders)} folders` : '') +
      (t.messagesFailed ? `, ${formatCount(t.messagesFailed)} failed` : '');
    $('sum-bytes').textContent = bytes == null ? `${formatBytes(t.bytesCopied)} (the source does not give its size)`
      : `${formatBytes(t.bytesCopied)} of ${formatBytes(bytes)}`;
    const share = progress && progress.percent != null ? progress.percent : percent(t.bytesCopied, t.bytesTotal);
    overall.max = 100;
    overall.value = share;
    $('sum-percent').textContent = `${share}%`;
    overall.setAttribute('aria-valuetext', progress && progress.percentOf
      ? `${share}% of this run's ${progress.percentOf} done` : `${share}% of the data copied`);
  }

  // What each run did on its own, next to the batch's totals: the latest in a line, every run in the table.
  function renderRuns(summaries, dryRun) {
    const latest = summaries[summaries.length - 1];
    $('run-figures').textContent = !latest || dryRun ? '' :
      `This run: ${formatCount(latest.messagesCopied)} messages (${formatBytes(latest.bytesCopied)}) copied` +
      (latest.alreadyAtDestination ? `, ${formatCount(latest.alreadyAtDestination)} of them already at the destination` : '') +
      `, ${formatCount(latest.foldersCreated || 0)} folders created` +
      `, ${formatCount(latest.flagsUpdated)} flag updates` +
      (latest.messagesFailed ? `, ${formatCount(latest.messagesFailed)} not copied` : '') +
      (latest.notExact ? `, ${formatCount(latest.notExact)} not byte-exact` : '') + '.';
    $('runs-details').hidden = summaries.length < 2;
    const rows = summaries.slice().reverse().map((run) => {
      const tr = document.createElement('tr');
      const cells = [
        runName(run),
        new Date(run.startedAt).toLocaleString('en-GB'),
        formatDuration(run.duration),
        `${formatCount(run.mailboxes)} (${formatCount(run.succeeded)} done, ${formatCount(run.failed)} failed)`,
        formatCount(run.messagesCopied),
        formatBytes(run.bytesCopied),
        formatCount(run.foldersCreated || 0),
        formatCount(run.flagsUpdated),
        formatCount(run.alreadyAtDestination),
        formatCount(run.messagesFailed),
      ];
      for (const text of cells) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      return tr;
    });
    $('runs-rows').replaceChildren(...rows);
  }

  // A .NET TimeSpan as JSON ("d.hh:mm:ss.fffffff" or "hh:mm:ss...") in words.
  function formatDuration(span) {
    const match = /^(?:(\d+)\.)?(\d+):(\d+):(\d+)/.exec(span || '');
    if (!match) {
      return '';
    }
    const [days, hours, minutes, seconds] = match.slice(1).map((n) => Number(n || 0));
    const total = ((days * 24 + hours) * 60 + minutes) * 60 + seconds;
    return total < 60 ? `${total} s` : total < 3600 ? `${Math.floor(total / 60)} min ${total % 60} s` : `${Math.floor(total / 3600)} h ${Math.floor(total / 60) % 60} min`;
  }

  // When the batch's passwords go: the service closes a batch that has not run for a while (the status's closesAt),
  // or says when it was closed.
  function renderRetention(status) {
    const line = $('batch-retention');
    const when = status.closed ? status.closedAt : status.closesAt;
    if (!when) {
      line.textContent = status.closed ? 'Closed; its stored passwords are deleted.' : '';
      return;
    }
    const time = document.createElement('time');
    time.dateTime = when;
    time.textContent = new Date(when).toLocaleString('en-GB', { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }) + ' UTC';
    if (!status.closed) {
      line.replaceChildren('This batch closes on ', time,
        ' unless it runs again: then its stored passwords are deleted. The report stays.');
      return;
    }
    const why = status.closedFor === 'Idle' ? ' because it had not run for a while' : '';
    const deleted = status.secretsDeletedAt ? 'its stored passwords are deleted.' : 'its stored passwords are being deleted.';
    line.replaceChildren('Closed on ', time, `${why}; ${deleted}`);
  }

  // Throughput from the counters between polls: what moved while this page watched.
  function renderRate(totals, ended) {
    const now = performance.now();
    samples.push({ at: now, bytes: totals.bytesCopied, messages: totals.messagesCopied });
    const first = samples[0];
    const last = samples[samples.length - 1];
    const seconds = (last.at - first.at) / 1000;
    if (seconds <= 0 || last.bytes <= first.bytes) {
      if (!ended) {
        $('sum-rate').textContent = '—';
      }
      return;
    }
    const rate = `${formatBytes(Math.round((last.bytes - first.bytes) / seconds))}/s · ${((last.messages - first.messages) / seconds).toFixed(1)} messages/s`;
    $('sum-rate').textContent = ended ? rate + ' (average)' : rate;
  }

  // A row is rewritten only when its line changed since the last poll: a poll during a run changes a few of the 100
  // rows on show, and rewriting all of them made the browser restyle and lay out the whole table each time, a
  // main-thread task of up to a quarter of a second on a busy machine (https://web.dev/articles/long-tasks-devtools).
  function renderRows(mailboxes) {
    const body = $('mailbox-rows');
    const rows = new Map([...body.children].map((r) => [r.dataset.line, r]));
    for (const m of mailboxes) {
      const key = String(m.lineNumber);
      let row = rows.get(key);
      if (!row) {
        row = createRow(m);
        body.append(row);
      }
      rows.delete(key);
      const shown = JSON.stringify(m);
      if (shownLines.get(row) !== shown) {
        updateRow(row, m);
        shownLines.set(row, shown);
      }
    }
    for (const stale of rows.values()) {
      stale.remove();
    }
  }

  function createRow(m) {
    const row = document.createElement('tr');
    row.dataset.line = String(m.lineNumber);
    row.innerHTML = '<td class="line"></td><td class="who"></td><td class="status"><span class="badge"></span></td>' +
      '<td class="progress"><progress max="1" value="0"></progress><span class="pct"></span><span class="detail"></span></td><td class="error"></td>';
    return row;
  }

  function updateRow(row, m) {
    const c = m.counters;
    const name = m.destinationUsername || m.sourceLogin || `line ${m.lineNumber}`;
    row.dataset.status = m.status;
    row.querySelector('.line').textContent = String(m.lineNumber);
    row.querySelector('.who').replaceChildren(...mailboxLabel(m));
    const badge = row.querySelector('.badge');
    // A paused mailbox (its source account's download budget or provider limit) says when it goes on by itself.
    badge.textContent = m.status === 'Paused' && m.pausedUntil
      ? `Paused until ${new Date(m.pausedUntil).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' })} UTC`
      : m.status;
    badge.className = 'badge ' + m.status.toLowerCase();

    // Done is whole even for an empty mailbox; messages decide the bar, bytes are shown beside it.
    const complete = m.status === 'Done';
    const total = c.messagesTotal;
    const done = complete ? Math.max(total, 1) : c.messagesCopied;
    const pct = complete ? 100 : percent(c.messagesCopied, total);
    const bar = row.querySelector('progress');
    bar.max = Math.max(total, 1);
    bar.value = Math.min(done, bar.max);
    bar.setAttribute('aria-label', `Messages copied for ${name}`);
    bar.setAttribute('aria-valuetext', `${pct}%`);
    row.querySelector('.pct').textContent = `${pct}%`;
    row.querySelector('.detail').textContent =
      `${formatCount(c.messagesCopied)} / ${formatCount(total)} messages · ${formatBytes(c.bytesCopied)} / ${formatBytes(c.bytesTotal)}` +
      (c.messagesFailed ? ` · ${formatCount(c.messagesFailed)} failed` : '');

    const error = row.querySelector('.error');
    error.replaceChildren();
    if (m.message || m.code) {
      const message = document.createElement('p');
      message.className = 'message';
      if (m.code) {
        const code = document.createElement('code');
        code.textContent = m.code;
        message.append(code, document.createTextNode(' '));
      }
      message.append(document.createTextNode(pageMessage(m.message)));
      error.append(message);
    }
    const fixText = PAGE_FIXES[m.code] || m.fix;
    if (fixText) {
      const fix = document.createElement('p');
      fix.className = 'fix';
      const label = document.createElement('strong');
      label.textContent = 'Fix: ';
      fix.append(label, document.createTextNode(fixText));
      error.append(fix);
    }
    // Folders whose name holds the destination's hierarchy separator get another name: the dry run says which before
    // anything is copied, the copy says which it made.
    const renamed = (m.folders || []).filter((f) => f.outcome === 'Renamed');
    if (renamed.length) {
      const heading = document.createElement('p');
      heading.className = 'renamed-heading';
      heading.textContent = m.status === 'Ready' ? 'Folders that will be renamed:' : 'Folders renamed:';
      const list = document.createElement('ul');
      list.className = 'renamed';
      for (const f of renamed) {
        const item = document.createElement('li');
        item.textContent = `${f.sourceFolder} → ${f.destinationFolder}`;
        item.title = f.reason;
        list.append(item);
      }
      error.append(heading, list);
    }
    if (m.failedMessages && m.failedMessages.length) {
      const list = document.createElement('ul');
      list.className = 'failed-messages';
      for (const f of m.failedMessages.slice(0, 5)) {
        const item = document.createElement('li');
        item.textContent = `${f.folder} ${f.uid != null ? 'UID ' + f.uid : f.uidl || ''}: ${f.code} ${f.reason}`;
        list.append(item);
      }
      error.append(list);
    }
  }

  function mailboxLabel(m) {
    const from = document.createElement('span');
    from.className = 'from';
    from.textContent = m.sourceLogin || '(no login)';
    if (!m.destinationUsername || m.destinationUsername === m.sourceLogin) {
      return [from];
    }
    const arrow = document.createElement('span');
    arrow.setAttribute('aria-label', 'to');
    arrow.textContent = ' → ';
    const to = document.createElement('span');
    to.className = 'to';
    to.textContent = m.destinationUsername;
    return [from, arrow, to];
  }

  function renderActions(status, ended, dryRun) {
    const open = ended && !status.closed;
    const counts = status.counts || {};
    const retryable = ['Failed', 'Partial', 'Invalid', 'Pending'].some((s) => counts[s] > 0);
    $('begin-real').hidden = !(open && dryRun);
    $('rerun-failed').disabled = !open || !retryable;
    $('corrected-file').disabled = !open || !retryable;
    $('rerun-incremental').disabled = !open || dryRun;
    $('toggle-schedule').disabled = status.closed;
    $('toggle-schedule').textContent = status.schedule
      ? `Turn the schedule off (now: ${status.schedule} UTC)` : 'Turn the daily schedule on';
    $('toggle-schedule').setAttribute('aria-pressed', status.schedule ? 'true' : 'false');
    const hasReport = ended || status.runs.length > 1;
    $('download-csv').disabled = !hasReport;
    $('download-json').disabled = !hasReport;
    // Handed out once: the download deletes them, and the status stops counting them.
    $('download-passwords').hidden = !status.generatedPasswords;
    $('close-batch').hidden = status.closed;
    if (status.closed) {
      $('batch-state').textContent = 'This batch is closed: it takes no more runs.';
      announced = '';
    }
  }

  async function rerun(mode, withFile) {
    const problems = $('batch-problems');
    showProblems(problems, null);
    const file = withFile ? $('corrected-file').files[0] : null;
    const corrected = withFile ? correctedFile() : { text: null };
    if (corrected.problem) {
      showProblems(problems, { error: corrected.problem });
      return;
    }
    const written = corrected.text;
    if (file && written) {
      showProblems(problems, { error: 'Either correct the mailboxes in the table or choose a corrected file, not both.' });
      return;
    }
    let request;
    if (written) {
      const form = new FormData();
      form.append('file', new Blob([written], { type: 'text/plain' }), 'corrections.txt');
      form.append('mode', mode);
      request = { method: 'POST', body: form };
    } else if (file) {
      const form = new FormData();
      form.append('file', file, file.name);
      form.append('mode', mode);
      request = { method: 'POST', body: form };
    } else {
      request = { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ mode }) };
    }
    await act(async () => {
      const response = await api(`/${batchId}/rerun`, request);
      if (response.status !== 202) {
        showProblems(problems, await readJson(response));
        return;
      }
      $('corrected-file').value = '';
      rememberCorrections();
      samples = [];
      announced = '';
      poll();
    });
  }

  // The rows sent become what the tab knows of those mailboxes; the table empties until the re-run ends.
  function rememberCorrections() {
    for (const row of $('correction-rows').children) {
      if (row.dataset.edited === 'true' && typed.batchId === batchId) {
        const entry = { login: row.dataset.login };
        for (const input of row.querySelectorAll('input')) {
          entry[input.dataset.field] = input.value;
        }
        typed.rows.set(row.dataset.login.toLowerCase(), entry);
      }
    }
    $('correction-rows').replaceChildren();
    $('correction').hidden = true;
  }

  async function toggleSchedule() {
    const schedule = lastStatus && lastStatus.schedule ? null : 'default';
    await act(async () => {
      const response = await api(`/${batchId}/schedule`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ schedule }),
      });
      if (!response.ok) {
        showProblems($('batch-problems'), await readJson(response));
        return;
      }
      poll();
    });
  }

  async function closeBatch() {
    await act(async () => {
      const response = await api(`/${batchId}/close`, { method: 'POST' });
      if (!response.ok) {
        showProblems($('batch-problems'), await readJson(response));
        return;
      }
      $('close-batch').open = false;
      poll();
    });
  }

  // The report comes with the key in a header, so it is fetched and handed to the browser as a file.
  async function download(format) {
    await save(`/${batchId}/report` + (format === 'csv' ? '?format=csv' : ''), `mailimport-${batchId}.${format}`);
  }

  async function save(path, name) {
    await act(async () => {
      const response = await api(path);
      if (!response.ok) {
        showProblems($('batch-problems'), await readJson(response));
        return;
      }
      const blob = await response.blob();
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = name;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    });
  }

  async function act(action) {
    const buttons = [...document.querySelectorAll('#batch-section .batch-actions button')];
    const disabled = buttons.map((b) => b.disabled);
    buttons.forEach((b) => { b.disabled = true; });
    try {
      await action();
    } catch (e) {
      if (getKey()) {
        showProblems($('batch-problems'), { error: 'The service could not be reached: ' + e.message });
      }
    } finally {
      buttons.forEach((b, i) => { b.disabled = disabled[i]; });
      if (lastStatus) {
        renderActions(lastStatus, ENDED.has(lastStatus.status), latestRun(lastStatus).mode === 'DryRun');
      }
    }
  }

  function newImport() {
    stopPolling();
    batchId = null;
    history.replaceState(null, '', location.pathname + location.search);
    show('start-section');
    $('domain').focus();
  }

  // ---------------------------------------------------------------- wiring

  function route() {
    if (!getKey()) {
      askForKey('');
      return;
    }
    const match = /^#batch=([0-9a-f]{32})$/.exec(location.hash);
    if (match) {
      openBatch(match[1]);
    } else {
      show('start-section');
    }
  }

  function init() {
    $('key-form').addEventListener('submit', onKeySubmit);
    $('forget-key').addEventListener('click', () => askForKey('The key was forgotten. Enter it to go on.'));
    $('start-form').addEventListener('submit', onStartSubmit);
    for (const radio of document.querySelectorAll('input[name="preset"]')) {
      radio.addEventListener('change', applyPreset);
    }
    for (const radio of document.querySelectorAll('input[name="entry-mode"]')) {
      radio.addEventListener('change', onEntryModeChange);
    }
    for (const radio of document.querySelectorAll('input[name="auth"]')) {
      radio.addEventListener('change', onAuthChange);
    }
    for (const radio of document.querySelectorAll('input[name="app-credential"]')) {
      radio.addEventListener('change', onAppCredentialChange);
    }
    $('gmail-mode').addEventListener('change', onGmailModeChange);
    $('protocol').addEventListener('change', onProtocolOrSecurityChange);
    $('security').addEventListener('change', onProtocolOrSecurityChange);
    for (const id of ['host', 'port', 'fingerprint']) {
      $(id).addEventListener('input', validateSource);
    }
    $('domain').addEventListener('input', validateDomain);
    $('add-row').addEventListener('click', () => addRow().querySelector('input').focus());
    $('begin-real').addEventListener('click', () => rerun('retryFailed', false));
    $('rerun-failed').addEventListener('click', () => rerun('retryFailed', true));
    $('rerun-incremental').addEventListener('click', () => rerun('incremental', false));
    $('toggle-schedule').addEventListener('click', toggleSchedule);
    $('close-confirm').addEventListener('click', closeBatch);
    $('download-csv').addEventListener('click', () => download('csv'));
    $('download-json').addEventListener('click', () => download('json'));
    $('download-passwords').addEventListener('click', async () => {
      await save(`/${batchId}/passwords`, `mailimport-${batchId}-passwords.csv`);
      poll();
    });
    $('new-import').addEventListener('click', newImport);
    $('row-filter').addEventListener('change', onRowFilterChange);
    $('page-first').addEventListener('click', () => showPage(0));
    $('page-prev').addEventListener('click', () => showPage(pageOffset - PAGE_SIZE));
    $('page-next').addEventListener('click', () => showPage(pageOffset + PAGE_SIZE));
    $('page-last').addEventListener('click', () => showPage(Number($('page-last').dataset.offset)));
    $('batch-heading').tabIndex = -1;
    addRow();
    applyPreset();
    $('domain-error').textContent = '';
    onEntryModeChange();
    onAuthChange();
    onGmailModeChange();
    window.addEventListener('hashchange', route);
    route();
  }

  init();
})();
