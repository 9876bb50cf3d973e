// admin.js: the Quản trị page, one tab per section: users, units,
// campaigns with themes, display groups, your API tokens and the audit
// log. A role sees the sections the API lets it use (admin all; approver
// campaigns and the audit log; technician groups; everyone their tokens);
// the API still decides. Every create, edit and delete goes through a
// dialog that stays open, with the reason, when the API refuses.
'use strict';

pano.start(async (user) => {
  const { t, api, el, time, day } = pano;
  // say and fail also bring the page message into view: on a long list
  // or a tablet it may be off screen when an action ends.
  const say = (text, kind) => {
    pano.say(text, kind);
    if (text) document.getElementById('msg').scrollIntoView({ block: 'nearest' });
  };
  const fail = (err) => say(t('error') + ': ' + err.message, 'error');
  // Roles from least to most power, so a hurried choice errs small.
  const roles = ['viewer', 'editor', 'technician', 'approver', 'admin'];
  const fill = (key, vars) => t(key).replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
  // The header may cut a long unit name short; here it is whole.
  document.getElementById('adm-me').textContent = fill('adm_me', { name: user.name, role: t('role_' + user.role), unit: user.unit_name || '' });
  let units = [];
  let userNames = new Map(); // known once the users tab is loaded (admins)
  const unitName = (id) => (units.find((u) => u.id === id) || {}).name || '#' + id;

  // why turns a refusal into words: the API's code, translated by pano,
  // or a sentence of this page for a code that means something here.
  const why = (err, own) => (own && own[err.code]) || err.message;

  function button(label, onClick, props) {
    const b = el('button', { type: 'button', ...props }, label);
    b.addEventListener('click', onClick);
    return b;
  }

  // field is a label, its control and an optional hint the control is
  // described by. The label points at the control (for=) rather than
  // holding it: a <select> inside a <label> gives it a name made of all
  // its options.
  let ids = 0;
  function field(label, input, hint) {
    input.id = input.id || 'adm-f' + ++ids;
    const box = el('div', { className: 'adm-field' }, el('label', { htmlFor: input.id }, label), input);
    if (hint) {
      hint.id = input.id + '-hint';
      input.setAttribute('aria-describedby', hint.id);
      box.append(hint);
    }
    return box;
  }

  function select(name, options, current) {
    const s = el('select', { name });
    for (const [value, label] of options) {
      const on = String(value) === String(current);
      s.append(el('option', { value: String(value), selected: on, defaultSelected: on }, label));
    }
    return s;
  }

  const unitSelect = (name, current) => select(name, units.map((u) => [u.id, u.name]), current);

  // edit shows a modal form; submit(form) calls the API. The dialog closes
  // when it resolves and stays open with the error when it throws.
  function edit(title, nodes, okLabel, submit) {
    return new Promise((resolve) => {
      const err = el('p', { className: 'error' });
      err.setAttribute('role', 'alert');
      const ok = el('button', { type: 'submit', className: 'submit' }, okLabel);
      const cancel = button(t('cancel'), () => d.close(), { className: 'cancel' });
      const form = el('form', { method: 'dialog', noValidate: false }, el('h3', {}, title), ...nodes, err, el('div', { className: 'actions' }, ok, cancel));
      const d = el('dialog', { className: 'adm-dialog' }, form);
      let done = null;
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        ok.disabled = true;
        err.textContent = '';
        try {
          done = (await submit(form)) ?? true;
          d.close();
        } catch (e) {
          err.textContent = e.message;
        } finally {
          ok.disabled = false;
        }
      });
      d.addEventListener('close', () => { d.remove(); resolve(done); });
      document.body.append(d);
      d.showModal();
      const first = form.querySelector('input:not([type=hidden]), select, textarea');
      if (first) first.focus();
    });
  }

  const value = (form, name) => form.elements[name].value.trim();

  // passwords is a password field and its confirmation; check() refuses
  // two different ones before anything is sent.
  function passwords(label) {
    const a = el('input', { name: 'password', type: 'password', required: true, minLength: 10, maxLength: 1024, autocomplete: 'new-password' });
    const b = el('input', { name: 'password2', type: 'password', required: true, autocomplete: 'new-password' });
    b.addEventListener('input', () => b.setCustomValidity(''));
    return {
      nodes: [field(label, a), field(t('adm_password_again'), b)],
      check() {
        if (a.value !== b.value) {
          b.setCustomValidity(t('adm_password_mismatch'));
          throw new Error(t('adm_password_mismatch'));
        }
        return a.value;
      },
    };
  }

  function actionsCell(...buttons) {
    return el('td', {}, el('div', { className: 'actions' }, ...buttons));
  }

  // finish says so when a table is empty, and gives each cell its column's
  // name, which narrow screens show beside it (see pano.css).
  function finish(tbody, cols, none) {
    if (!tbody.children.length) tbody.append(el('tr', {}, el('td', { colSpan: cols, className: 'note' }, none || t('adm_empty'))));
    const heads = [...tbody.parentElement.querySelectorAll('thead th')].map((th) => th.textContent);
    for (const tr of tbody.rows) {
      if (tr.cells.length > 1) [...tr.cells].forEach((td, i) => { td.dataset.label = heads[i] || ''; });
    }
  }

  async function loadUnits() {
    units = (await api('GET', '/units')).data.items;
  }

  // ---- Users -------------------------------------------------------------

  const users = {
    root: document.getElementById('users'),
    async load() {
      const list = (await api('GET', '/users')).data.items;
      userNames = new Map(list.map((x) => [x.id, x.name]));
      const tbody = this.root.querySelector('tbody');
      tbody.replaceChildren(...list.map((u) => this.row(u)));
      finish(tbody, 6);
      const dl = document.getElementById('audit-actors');
      dl.replaceChildren(...list.map((u) => el('option', { value: u.name })));
    },
    row(u) {
      const self = u.id === user.id;
      const name = el('td', {}, u.name);
      if (self) name.append(' ', el('span', { className: 'note' }, '(' + t('adm_you') + ')'));
      const state = el('span', { className: 'status ' + (u.disabled ? 'rejected' : 'approved') }, t(u.disabled ? 'adm_user_disabled' : 'adm_user_active'));
      const acts = [button(t('adm_edit'), () => this.edit(u)), button(t('adm_reset_pw'), () => this.password(u))];
      if (!self) {
        acts.push(button(t(u.disabled ? 'adm_enable' : 'adm_disable'), () => this.toggle(u)));
        acts.push(button(t('adm_delete'), () => this.remove(u), { className: 'danger' }));
      }
      const tr = el('tr', {}, name, el('td', {}, t('role_' + u.role)), el('td', {}, u.unit_name), el('td', {}, state), el('td', {}, day(u.created_at)), actionsCell(...acts));
      tr.dataset.id = u.id;
      tr.dataset.name = u.name;
      return tr;
    },
    roleField(current, disabled) {
      const s = select('role', roles.map((r) => [r, t('role_' + r)]), current);
      s.disabled = disabled;
      const help = el('span', { className: 'note adm-hint' });
      const show = () => { help.textContent = t('adm_rolehelp_' + s.value); };
      s.addEventListener('change', show);
      show();
      return field(t('adm_user_role'), s, help);
    },
    async add() {
      await loadUnits();
      const pw = passwords(t('adm_password'));
      const nodes = [
        field(t('adm_user_name'), el('input', { name: 'name', required: true, maxLength: 200, autocomplete: 'off' })),
        this.roleField('editor', false),
        field(t('adm_user_unit'), unitSelect('unit_id', user.unit_id)),
        ...pw.nodes,
      ];
      const u = await edit(t('adm_user_add'), nodes, t('adm_create'), async (f) => {
        const password = pw.check();
        try {
          return (await api('POST', '/users', { name: value(f, 'name'), role: f.elements.role.value, unit_id: Number(f.elements.unit_id.value), password })).data;
        } catch (err) { throw new Error(why(err, { name_taken: t('adm_user_taken') })); }
      });
      if (u) { say(fill('adm_user_created', u), 'ok'); await this.load(); }
    },
    async edit(u) {
      await loadUnits();
      const self = u.id === user.id;
      const nodes = [this.roleField(u.role, self), field(t('adm_user_unit'), unitSelect('unit_id', u.unit_id))];
      if (self) nodes.push(el('p', { className: 'note' }, t('adm_user_self')));
      const r = await edit(fill('adm_user_edit', u), nodes, t('adm_save'), async (f) => {
        const body = { unit_id: Number(f.elements.unit_id.value) };
        if (!self) body.role = f.elements.role.value;
        return (await api('PATCH', '/users/' + u.id, body)).data;
      });
      if (r) { say(fill('adm_user_saved', r), 'ok'); await this.load(); }
    },
    async password(u) {
      const pw = passwords(t('adm_password_new'));
      const r = await edit(fill('adm_pw_title', u), pw.nodes, t('adm_save'), async () => (await api('PATCH', '/users/' + u.id, { password: pw.check() })).data);
      if (r) say(fill('adm_pw_done', u), 'ok');
    },
    async toggle(u) {
      try {
        await api('PATCH', '/users/' + u.id, { disabled: !u.disabled });
        say(fill(u.disabled ? 'adm_user_enabled_ok' : 'adm_user_disabled_ok', u), 'ok');
        await this.load();
      } catch (err) { fail(err); }
    },
    async remove(u) {
      if (!(await pano.confirm(fill('adm_user_delete_q', u), t('adm_user_delete_text'), t('adm_delete')))) return;
      try {
        await api('DELETE', '/users/' + u.id);
        say(fill('adm_user_deleted', u), 'ok');
        await this.load();
      } catch (err) { fail(err); }
    },
  };

  // ---- Units -------------------------------------------------------------

  const unitsSection = {
    root: document.getElementById('units'),
    async load() {
      await loadUnits();
      const tbody = this.root.querySelector('tbody');
      tbody.replaceChildren(...units.map((u) => {
        const tr = el('tr', {}, el('td', {}, u.name), el('td', {}, (u.kind || t('adm_no_kind')) + (u.lead ? ' · ' + t('adm_unit_is_lead') : '')), el('td', {}, day(u.created_at)),
          actionsCell(button(t('adm_rename'), () => this.edit(u)), button(t('adm_delete'), () => this.remove(u), { className: 'danger' })));
        tr.dataset.id = u.id;
        tr.dataset.name = u.name;
        return tr;
      }));
      finish(tbody, 4);
    },
    form(u) {
      return [
        field(t('adm_unit_name'), el('input', { name: 'name', required: true, maxLength: 200, value: u ? u.name : '', autocomplete: 'off' })),
        field(t('adm_unit_kind'), el('input', { name: 'kind', maxLength: 200, value: u ? u.kind : '', autocomplete: 'off' })),
        field(t('adm_unit_lead'), el('input', { type: 'checkbox', name: 'lead', checked: !!(u && u.lead) }), el('p', { className: 'note' }, t('adm_unit_lead_hint'))),
        // A unit's own storage quota is set once it exists (empty: the site's).
        ...(u ? [field(t('adm_unit_quota'), el('input', { name: 'storage_quota_mib', type: 'number', min: 0, step: 1, value: u.storage_quota_mib ?? '', placeholder: t('adm_unit_quota_default') }),
          el('p', { className: 'note' }, t('adm_unit_quota_hint')))] : []),
      ];
    },
    async add() {
      const u = await edit(t('adm_unit_add'), this.form(), t('adm_create'), async (f) => {
        try { return (await api('POST', '/units', { name: value(f, 'name'), kind: value(f, 'kind'), lead: f.elements.lead.checked })).data; } catch (err) { throw new Error(why(err, { name_taken: t('adm_unit_taken') })); }
      });
      if (u) { say(fill('adm_unit_created', u), 'ok'); await this.load(); }
    },
    async edit(u) {
      const r = await edit(fill('adm_unit_edit', u), this.form(u), t('adm_save'), async (f) => {
        const quota = f.elements.storage_quota_mib.value.trim();
        try {
          return (await api('PATCH', '/units/' + u.id, { name: value(f, 'name'), kind: value(f, 'kind'), lead: f.elements.lead.checked,
            storage_quota_mib: quota === '' ? 0 : Number(quota) })).data;
        } catch (err) { throw new Error(why(err, { name_taken: t('adm_unit_taken') })); }
      });
      if (r) { say(fill('adm_unit_saved', r), 'ok'); await this.load(); }
    },
    async remove(u) {
      if (!(await pano.confirm(fill('adm_unit_delete_q', u), t('adm_unit_delete_text'), t('adm_delete')))) return;
      try {
        await api('DELETE', '/units/' + u.id);
        say(fill('adm_unit_deleted', u), 'ok');
        await this.load();
      } catch (err) {
        say(why(err, { unit_in_use: fill('adm_unit_in_use', u) }), 'error');
      }
    },
  };

  // ---- Campaigns ---------------------------------------------------------

  const campaigns = {
    root: document.getElementById('campaigns'),
    async load() {
      await loadUnits();
      const list = (await api('GET', '/campaigns')).data.items;
      const tbody = this.root.querySelector('tbody');
      tbody.replaceChildren(...list.map((c) => {
        const themes = el('ol', { className: 'adm-themes' }, ...c.themes.map((th) => el('li', {}, th.title)));
        const tr = el('tr', {}, el('td', {}, c.name), el('td', {}, day(c.starts_on) + ' – ' + day(c.ends_on)), el('td', {}, unitName(c.unit_id)), el('td', {}, themes),
          actionsCell(button(t('adm_edit'), () => this.edit(c)), button(t('adm_delete'), () => this.remove(c), { className: 'danger' })));
        tr.dataset.id = c.id;
        tr.dataset.name = c.name;
        return tr;
      }));
      finish(tbody, 5);
    },
    // themesField edits the list of themes. For an existing campaign only
    // the last theme can be removed: the API matches themes by position,
    // so removing one in the middle would move the others' content.
    themesField(list, existing) {
      const box = el('ol', { className: 'adm-theme-list' });
      const renumber = () => {
        const items = [...box.children];
        items.forEach((li, i) => {
          const n = i + 1;
          li.querySelector('input').setAttribute('aria-label', fill('adm_theme_n', { n }));
          const rm = li.querySelector('button');
          rm.setAttribute('aria-label', fill('adm_theme_remove_n', { n }));
          rm.hidden = existing && i !== items.length - 1;
        });
      };
      const add = (title) => {
        const input = el('input', { name: 'theme', value: title || '', required: true, maxLength: 200, autocomplete: 'off' });
        const li = el('li', {}, input, button(t('adm_theme_remove'), () => { li.remove(); renumber(); }));
        box.append(li);
        renumber();
        return input;
      };
      list.forEach((th) => add(th.title));
      const more = button(t('adm_theme_add'), () => add('').focus());
      const fs = el('fieldset', { className: 'adm-themes-field' }, el('legend', {}, t('adm_themes')), box, more);
      if (existing) fs.append(el('p', { className: 'note' }, t('adm_themes_note')));
      return fs;
    },
    form(c) {
      const owner = c ? c.unit_id : user.unit_id;
      return [
        field(t('adm_campaign_name'), el('input', { name: 'name', required: true, maxLength: 200, value: c ? c.name : '', autocomplete: 'off' })),
        el('div', { className: 'adm-row' },
          field(t('adm_starts'), el('input', { name: 'starts_on', type: 'date', required: true, value: c ? c.starts_on : '' })),
          field(t('adm_ends'), el('input', { name: 'ends_on', type: 'date', required: true, value: c ? c.ends_on : '' }))),
        field(t('adm_owner'), unitSelect('unit_id', owner)),
        this.themesField(c ? c.themes : [], !!c),
      ];
    },
    body(f) {
      const b = {
        name: value(f, 'name'), starts_on: f.elements.starts_on.value, ends_on: f.elements.ends_on.value,
        unit_id: Number(f.elements.unit_id.value), themes: [...f.querySelectorAll('input[name=theme]')].map((i) => i.value.trim()),
      };
      if (b.ends_on < b.starts_on) throw new Error(t('adm_period_bad'));
      return b;
    },
    async add() {
      await loadUnits();
      const c = await edit(t('adm_campaign_add'), this.form(), t('adm_create'), async (f) => (await api('POST', '/campaigns', this.body(f))).data);
      if (c) { say(fill('adm_campaign_created', c), 'ok'); await this.load(); }
    },
    async edit(c) {
      await loadUnits();
      const r = await edit(fill('adm_campaign_edit', c), this.form(c), t('adm_save'), async (f) => (await api('PATCH', '/campaigns/' + c.id, this.body(f))).data);
      if (r) { say(fill('adm_campaign_saved', r), 'ok'); await this.load(); }
    },
    async remove(c) {
      if (!(await pano.confirm(fill('adm_campaign_delete_q', c), t('adm_campaign_delete_text'), t('adm_delete')))) return;
      try {
        await api('DELETE', '/campaigns/' + c.id);
        say(fill('adm_campaign_deleted', c), 'ok');
        await this.load();
      } catch (err) { fail(err); }
    },
  };

  // ---- Display groups ----------------------------------------------------

  const groups = {
    root: document.getElementById('groups'),
    async load() {
      const list = (await api('GET', '/groups')).data.items;
      const tbody = this.root.querySelector('tbody');
      tbody.replaceChildren(...list.map((g) => {
        const tr = el('tr', {}, el('td', {}, g.name), el('td', { className: 'num' }, g.displays), el('td', {}, day(g.created_at)),
          actionsCell(button(t('adm_rename'), () => this.edit(g)), button(t('adm_delete'), () => this.remove(g), { className: 'danger' })));
        tr.dataset.id = g.id;
        tr.dataset.name = g.name;
        return tr;
      }));
      finish(tbody, 4);
    },
    form: (g) => [field(t('adm_group_name'), el('input', { name: 'name', required: true, maxLength: 200, value: g ? g.name : '', autocomplete: 'off' }))],
    async add() {
      const g = await edit(t('adm_group_add'), this.form(), t('adm_create'), async (f) => {
        try { return (await api('POST', '/groups', { name: value(f, 'name') })).data; } catch (err) { throw new Error(why(err, { name_taken: t('adm_group_taken') })); }
      });
      if (g) { say(fill('adm_group_created', g), 'ok'); await this.load(); }
    },
    async edit(g) {
      const r = await edit(fill('adm_group_edit', g), this.form(g), t('adm_save'), async (f) => {
        try { return (await api('PATCH', '/groups/' + g.id, { name: value(f, 'name') })).data; } catch (err) { throw new Error(why(err, { name_taken: t('adm_group_taken') })); }
      });
      if (r) { say(fill('adm_group_saved', r), 'ok'); await this.load(); }
    },
    async remove(g) {
      if (!(await pano.confirm(fill('adm_group_delete_q', g), fill('adm_group_delete_text', { n: g.displays }), t('adm_delete')))) return;
      try {
        await api('DELETE', '/groups/' + g.id);
        say(fill('adm_group_deleted', g), 'ok');
        await this.load();
      } catch (err) { fail(err); }
    },
  };

  // ---- API tokens --------------------------------------------------------

  const tokens = {
    root: document.getElementById('tokens'),
    async load() {
      const list = (await api('GET', '/tokens')).data.items;
      const tbody = this.root.querySelector('tbody');
      tbody.replaceChildren(...list.map((k) => {
        const revoked = !!k.revoked_at;
        const expired = !revoked && new Date(k.expires_at) <= new Date();
        const word = revoked ? 'adm_token_revoked' : expired ? 'adm_token_expired' : 'adm_token_active';
        const state = el('span', { className: 'status ' + (revoked || expired ? 'rejected' : 'approved') }, t(word));
        const scopes = (k.scopes || []).map((sc) => t('adm_scope_' + sc)).join(', ');
        const about = el('span', { className: 'note' }, ' ' + fill('adm_token_about', { until: day(k.expires_at), scopes }));
        const acts = revoked ? [] : [button(t('adm_revoke'), () => this.revoke(k), { className: 'danger' })];
        const tr = el('tr', {}, el('td', {}, k.name), el('td', {}, el('code', {}, k.prefix + '…')), el('td', {}, state, about), el('td', {}, time(k.created_at)),
          el('td', {}, k.last_used_at ? time(k.last_used_at) : t('adm_token_never')), actionsCell(...acts));
        tr.dataset.id = k.id;
        tr.dataset.name = k.name;
        return tr;
      }));
      finish(tbody, 6);
    },
    async add() {
      // Lifetime (default 90 days, at most a year) and scopes (read by
      // default); the API refuses a scope the user's role cannot use.
      const days = select('expires_in_days', [7, 30, 90, 180, 366].map((d) => [d, fill('adm_token_days', { n: d })]), 90);
      const scopes = el('fieldset', { className: 'adm-scopes' }, el('legend', {}, t('adm_token_scopes')),
        ...['read', 'content', 'devices', 'admin'].map((sc) => el('label', { className: 'adm-check' },
          el('input', { type: 'checkbox', name: 'scope', value: sc, checked: sc === 'read' }), ' ', t('adm_scope_' + sc) + ' — ' + t('adm_scope_help_' + sc))));
      const nodes = [field(t('adm_token_name'), el('input', { name: 'name', required: true, maxLength: 200, autocomplete: 'off' })),
        field(t('adm_token_lifetime'), days), scopes];
      const r = await edit(t('adm_token_add'), nodes, t('adm_create'), async (f) => (await api('POST', '/tokens', {
        name: value(f, 'name'), expires_in_days: Number(f.elements.expires_in_days.value),
        scopes: [...f.querySelectorAll('input[name=scope]:checked')].map((i) => i.value),
      })).data);
      if (!r) return;
      await this.load();
      say(fill('adm_token_created', r.token), 'ok');
      await this.showSecret(r);
    },
    // showSecret shows the secret the one time the API gives it.
    showSecret(r) {
      const secret = el('input', { readOnly: true, value: r.secret, className: 'adm-secret', spellcheck: false });
      const said = el('p', { className: 'note' });
      said.setAttribute('role', 'status');
      const copy = button(t('adm_copy'), async () => {
        secret.select();
        try {
          await navigator.clipboard.writeText(r.secret);
          said.textContent = t('adm_copied');
        } catch {
          said.textContent = t('adm_copy_failed');
        }
      });
      return new Promise((resolve) => {
        const close = button(t('adm_close'), () => d.close(), { className: 'submit' });
        const d = el('dialog', { className: 'adm-dialog' }, el('h3', {}, fill('adm_token_new', r.token)), el('p', {}, t('adm_token_once')),
          field(t('adm_token_secret'), secret), el('div', { className: 'actions' }, copy, close), said);
        d.addEventListener('close', () => { secret.value = ''; d.remove(); resolve(); });
        document.body.append(d);
        d.showModal();
        secret.focus();
        secret.select();
      });
    },
    async revoke(k) {
      if (!(await pano.confirm(fill('adm_token_revoke_q', k), t('adm_token_revoke_text'), t('adm_revoke')))) return;
      try {
        await api('DELETE', '/tokens/' + k.id);
        say(fill('adm_token_revoked_ok', k), 'ok');
        await this.load();
      } catch (err) { fail(err); }
    },
  };

  // ---- CAP emergency feeds -------------------------------------------------

  // Feeds an admin registers, their last poll in words, and the alerts
  // they brought: what, when, which screens, its urgent notice. Alerts
  // waiting for an approver are published or dismissed here too (and on
  // the content page, where approvers work).
  // capWord is a CAP code in words; a code this page does not know is
  // said to be unknown (or another error), never shown raw.
  const capWord = (prefix, v) => {
    if (!v) return '';
    if (pano.has(prefix + v)) return t(prefix + v);
    return t(prefix === 'cap_perr_' ? 'cap_perr_other' : 'cap_unknown');
  };
  const capFeeds = {
    root: document.getElementById('cap'),
    groups: [],
    displays: [],
    async load() {
      const [feeds, alerts, gs, ds] = await Promise.all([api('GET', '/cap-feeds'), api('GET', '/cap-alerts'), api('GET', '/groups'), api('GET', '/displays?brief=true&limit=500')]);
      this.groups = gs.data.items;
      this.displays = ds.data.items;
      this.root.querySelector('.cap-private').textContent = t(feeds.data.private_allowed ? 'adm_cap_private_on' : 'adm_cap_private_off');
      const tbody = this.root.querySelector('.cap-feeds tbody');
      tbody.replaceChildren(...feeds.data.items.map((f) => {
        const last = el('td', {});
        if (!f.last_poll_at) last.append(t('adm_cap_never'));
        else {
          const bad = f.last_result === 'error';
          last.append(time(f.last_poll_at), ' — ', el('span', { className: 'status ' + (bad ? 'rejected' : 'approved') }, capWord('cap_poll_', f.last_result)));
          if (f.last_error_code) {
            const p = el('p', { className: bad ? 'error cap-error' : 'note cap-error' }, capWord('cap_perr_', f.last_error_code));
            p.title = f.last_error; // the controller's words, for a technician; the sentence above says it in Vietnamese
            last.append(p);
          }
        }
        const tr = el('tr', {}, el('td', {}, el('strong', {}, f.name), el('br'), el('code', { className: 'cap-url' }, f.url)),
          el('td', {}, fill('adm_cap_every', { n: f.interval_s })), last,
          el('td', {}, t(f.auto_publish ? 'adm_cap_auto' : 'adm_cap_wait')),
          actionsCell(button(t('adm_cap_poll'), () => this.poll(f)), button(t('adm_edit'), () => this.edit(f).catch(fail)), button(t('adm_delete'), () => this.remove(f), { className: 'danger' })));
        tr.dataset.id = f.id;
        tr.dataset.name = f.name;
        return tr;
      }));
      finish(tbody, 5, t('adm_cap_none'));
      this.showAlerts(alerts.data.items);
    },
    screens(a) {
      const g = a.group_ids.map((id) => (this.groups.find((x) => x.id === id) || {}).name || '#' + id);
      const d = a.display_ids.map((id) => (this.displays.find((x) => x.id === id) || {}).name || '#' + id);
      return [...g, ...d].join(', ');
    },
    showAlerts(list) {
      const tbody = this.root.querySelector('.cap-alerts tbody');
      const approver = pano.may('publishCAPAlert');
      tbody.replaceChildren(...list.map((a) => {
        const state = el('td', {}, el('span', { className: 'status ' + ({ published: 'approved', waiting: 'pending' }[a.state] || 'draft') }, capWord('cap_state_', a.state)));
        if (a.reason) state.append(' ', el('span', { className: 'note' }, '(' + capWord('cap_reason_', a.reason) + ')'));
        // A Cancel has no text of its own: it names the alerts it ends.
        const ended = (a.references || []).map((r) => list.find((x) => x.sender + ',' + x.identifier === r)).filter(Boolean).map((x) => x.title || x.event);
        const what = el('td', {}, el('strong', {}, a.title || a.event || (ended.length ? fill('adm_cap_cancel_of', { what: ended.join(', ') }) : a.identifier)));
        if (a.body) what.append(el('br'), a.body.length > 140 ? a.body.slice(0, 139) + '…' : a.body);
        if (a.severity) what.append(el('br'), el('span', { className: 'note' }, [capWord('cap_sev_', a.severity), capWord('cap_urg_', a.urgency), capWord('cap_cert_', a.certainty)].filter(Boolean).join(' · ')));
        const acts = [];
        if (approver && a.state === 'waiting') {
          acts.push(button(t('cap_publish'), () => this.decide(a, 'publish'), { className: 'danger' }), button(t('cap_dismiss'), () => this.decide(a, 'dismiss')));
        }
        const tr = el('tr', {}, el('td', {}, time(a.received_at)), what, state, el('td', {}, this.screens(a)),
          el('td', {}, a.expires_at ? time(a.expires_at) : ''), el('td', {}, a.urgent_id ? fill('adm_cap_notice', { id: a.urgent_id }) : ''), actionsCell(...acts));
        tr.dataset.id = a.id;
        return tr;
      }));
      finish(tbody, 7, t('adm_cap_no_alerts'));
    },
    async decide(a, how) {
      if (how === 'publish' && !(await pano.confirm(t('cap_publish_q'), (a.title || a.event) + ' → ' + this.screens(a), t('cap_publish')))) return;
      try {
        await api('POST', '/cap-alerts/' + a.id + '/' + how);
        say(t(how === 'publish' ? 'cap_published' : 'cap_dismissed') + ': ' + (a.title || a.event), 'ok');
        await this.load();
        if (how === 'publish') pano.showUrgent();
      } catch (err) { fail(err); }
    },
    async poll(f) {
      try {
        const r = (await api('POST', '/cap-feeds/' + f.id + '/poll')).data;
        say(fill('adm_cap_polled', r) + ': ' + capWord('cap_poll_', r.last_result) + (r.last_error_code ? ' — ' + capWord('cap_perr_', r.last_error_code) : ''), r.last_result === 'error' ? 'error' : 'ok');
        await this.load();
        pano.showUrgent(); // a poll may have sent, replaced or ended a notice
      } catch (err) { fail(err); }
    },
    // areaRow is one area → group mapping of the form.
    areaRow(a) {
      const kind = select('kind', [['desc', t('adm_cap_area_desc')], ['geocode', t('adm_cap_area_geocode')]], a.kind || 'desc');
      kind.setAttribute('aria-label', t('adm_cap_area_kind'));
      const name = el('input', { name: 'gname', value: a.name || '', maxLength: 100, autocomplete: 'off', placeholder: t('adm_cap_area_name_ph') });
      name.setAttribute('aria-label', t('adm_cap_area_name'));
      const val = el('input', { name: 'value', value: a.value || '', maxLength: 200, required: true, autocomplete: 'off' });
      val.setAttribute('aria-label', t('adm_cap_area_value'));
      const group = select('group', this.groups.map((g) => [g.id, g.name]), a.group_id);
      group.setAttribute('aria-label', t('adm_cap_area_group'));
      const sync = () => { name.hidden = kind.value !== 'geocode'; name.required = kind.value === 'geocode'; };
      kind.addEventListener('change', sync);
      sync();
      const row = el('div', { className: 'cap-area' }, kind, name, val, group);
      row.append(button(t('adm_cap_area_remove'), () => row.remove()));
      return row;
    },
    form(f) {
      f = f || { interval_s: 300, default_minutes: 120, languages: ['vi'], match_points: true, areas: [] };
      const levels = (prefix, vals, cur) => select(prefix, [['', t('adm_cap_f_any')], ...vals.map((v) => [v, t(prefix + v)])], cur || '');
      const areas = el('div', { className: 'cap-areas' }, ...f.areas.map((a) => this.areaRow(a)));
      const addArea = button(t('adm_cap_area_add'), () => {
        const r = this.areaRow({});
        areas.append(r);
        r.querySelector('input[name=value]').focus();
      });
      const hint = el('p', { className: 'note' }, t('adm_cap_f_areas_hint'));
      const check = (name, on, label) => el('label', { className: 'adm-check' }, el('input', { type: 'checkbox', name, checked: !!on }), ' ', label);
      return [
        field(t('adm_cap_f_name'), el('input', { name: 'name', required: true, maxLength: 200, value: f.name || '', autocomplete: 'off' })),
        field(t('adm_cap_f_url'), el('input', { name: 'url', type: 'url', required: true, maxLength: 2000, value: f.url || '', autocomplete: 'off' }), el('p', { className: 'note' }, t('adm_cap_f_url_hint'))),
        field(t('adm_cap_f_interval'), el('input', { name: 'interval', type: 'number', min: 30, max: 86400, required: true, value: f.interval_s })),
        field(t('adm_cap_f_severity'), levels('cap_sev_', ['Extreme', 'Severe', 'Moderate', 'Minor'], f.min_severity)),
        field(t('adm_cap_f_urgency'), levels('cap_urg_', ['Immediate', 'Expected', 'Future', 'Past'], f.min_urgency)),
        field(t('adm_cap_f_certainty'), levels('cap_cert_', ['Observed', 'Likely', 'Possible', 'Unlikely'], f.min_certainty)),
        check('auto', f.auto_publish, t('adm_cap_f_auto')),
        check('points', f.match_points, t('adm_cap_f_points')),
        field(t('adm_cap_f_languages'), el('input', { name: 'languages', value: f.languages.join(', '), maxLength: 200, autocomplete: 'off' })),
        field(t('adm_cap_f_minutes'), el('input', { name: 'minutes', type: 'number', min: 1, max: 10080, required: true, value: f.default_minutes })),
        el('fieldset', { className: 'cap-areas-box' }, el('legend', {}, t('adm_cap_f_areas')), hint, areas, addArea),
      ];
    },
    body(form) {
      const num = (n) => Number(form.elements[n].value);
      return {
        name: value(form, 'name'), url: value(form, 'url'), interval_s: num('interval'), default_minutes: num('minutes'),
        min_severity: form.elements.cap_sev_.value, min_urgency: form.elements.cap_urg_.value, min_certainty: form.elements.cap_cert_.value,
        auto_publish: form.elements.auto.checked, match_points: form.elements.points.checked,
        languages: value(form, 'languages').split(/[\s,]+/).filter(Boolean),
        areas: [...form.querySelectorAll('.cap-area')].map((r) => ({
          kind: r.querySelector('[name=kind]').value, name: r.querySelector('[name=gname]').value.trim(),
          value: r.querySelector('[name=value]').value.trim(), group_id: Number(r.querySelector('[name=group]').value),
        })),
      };
    },
    async add() {
      if (!this.groups.length) await this.load();
      const f = await edit(t('adm_cap_add'), this.form(), t('adm_create'), async (form) => (await api('POST', '/cap-feeds', this.body(form))).data);
      if (f) { say(fill('adm_cap_added', f), 'ok'); await this.load(); }
    },
    async edit(f) {
      const r = await edit(t('adm_cap_edit') + ': ' + f.name, this.form(f), t('adm_save'), async (form) => (await api('PUT', '/cap-feeds/' + f.id, this.body(form))).data);
      if (r) { say(fill('adm_cap_saved', r), 'ok'); await this.load(); }
    },
    async remove(f) {
      if (!(await pano.confirm(fill('adm_cap_delete_q', f), t('adm_cap_delete_text'), t('adm_delete')))) return;
      try {
        await api('DELETE', '/cap-feeds/' + f.id);
        say(fill('adm_cap_deleted', f), 'ok');
        await this.load();
      } catch (err) { fail(err); }
    },
  };

  // ---- Site settings -----------------------------------------------------

  const settings = {
    root: document.getElementById('settings'),
    form() { return this.root.querySelector('form'); },
    async load() {
      const s = (await api('GET', '/settings')).data;
      this.form().elements.two_person_rule.checked = !!s.two_person_rule;
    },
    setup() {
      this.form().addEventListener('submit', async (ev) => {
        ev.preventDefault();
        try {
          const s = (await api('PATCH', '/settings', { two_person_rule: this.form().elements.two_person_rule.checked })).data;
          say(t(s.two_person_rule ? 'adm_set_two_person_on' : 'adm_set_two_person_off'), 'ok');
        } catch (err) { fail(err); }
      });
    },
  };

  // ---- Audit log ---------------------------------------------------------

  // Every action the controller writes (web/admin_test.go reads the Go
  // sources to keep this list whole) and the kinds of object.
  const actions = ['unit.create', 'unit.update', 'unit.delete', 'user.create', 'user.update', 'user.delete', 'session.create', 'session.delete', 'session.fail',
    'token.create', 'token.revoke', 'campaign.create', 'campaign.update', 'campaign.delete', 'group.create', 'group.update', 'group.delete',
    'display.create', 'display.update', 'display.delete', 'display.enrol', 'display.enrolment_code', 'display.revoke', 'display.command',
    'media.create', 'media.update', 'media.delete', 'media.submit', 'media.withdraw', 'media.approve', 'media.reject',
    'playlist.create', 'playlist.update', 'playlist.delete', 'playlist.submit', 'playlist.withdraw', 'playlist.approve', 'playlist.reject',
    'schedule.create', 'schedule.update', 'schedule.delete', 'urgent.create', 'urgent.cancel',
    'cap_feed.create', 'cap_feed.update', 'cap_feed.delete', 'cap_alert.publish', 'cap_alert.dismiss', 'cap_alert.replace', 'cap_alert.cancel',
    'settings.update', 'audit.keyed'];
  const objects = ['unit', 'user', 'api_token', 'campaign', 'group', 'display', 'media', 'playlist', 'schedule', 'urgent_notice', 'cap_feed', 'cap_alert',
    'settings', 'audit'];
  // label translates an API word of the audit log where this page knows
  // it; an unknown one (a newer controller's) is shown as the code it is.
  const label = (prefix, code) => {
    const key = prefix + code.replace(/\./g, '_');
    return pano.has(key) ? t(key) : el('code', {}, code);
  };

  // zoned gives the instant a day starts in the display time zone.
  const { midnight: zoned } = pano.dates;
  const nextDay = (date) => pano.dates.addDays(date, 1);

  // names knows objects' names by type and id: from the lists the page can
  // read (audit.lookup) and from the events themselves (a deleted
  // campaign's name is in the event that created it).
  const names = new Map();
  const nameKey = (type, id) => type + ':' + id;
  const learn = (type, list, field) => { for (const x of list || []) names.set(nameKey(type, x.id), x[field || 'name']); };
  // objectWords is an object in words: its type and its name, or its
  // number when no name is known.
  const objectWords = (type, id) => {
    const n = names.get(nameKey(type, id));
    const kind = pano.has('adm_obj_' + type) ? t('adm_obj_' + type) : type;
    return n ? kind + ' “' + n + '”' : kind + ' #' + id;
  };
  // The detail keys that hold an object's id, and the object's type.
  const idKeys = { unit_id: 'unit', user_id: 'user', group_id: 'group', display_id: 'display', playlist_id: 'playlist', campaign_id: 'campaign',
    theme_id: 'theme', media_id: 'media', group_ids: 'group', display_ids: 'display' };
  // (urgent_id and cap_alert_id are shown as their numbers.)
  const wdFmt = new Intl.DateTimeFormat(pano.locale, { weekday: 'short', timeZone: 'UTC' });
  const weekdays = (bits) => [0, 1, 2, 3, 4, 5, 6].filter((i) => bits & (1 << i)).map((i) => wdFmt.format(new Date(Date.UTC(2026, 0, 5 + i)))).join(', ');
  const word = (prefix, v) => (pano.has(prefix + v) ? t(prefix + v) : String(v));

  // shownValue is a detail value in words.
  function shownValue(e, k, v) {
    if (idKeys[k]) return (Array.isArray(v) ? v : [v]).map((id) => names.get(nameKey(idKeys[k], id)) || '#' + id).join(', ');
    if (typeof v === 'boolean') return t(v ? 'yes' : 'no');
    if (k === 'role' && roles.includes(v)) return t('role_' + v);
    if (k === 'status') return word('status_', v);
    if (k === 'kind' && e.object_type === 'media') return word('kind_', v);
    if (k === 'fit') return word('ct_fit_', v);
    if (k === 'command') return word('dsp_cmd_', v);
    if (k === 'weekdays' && typeof v === 'number') return weekdays(v);
    if ((k === 'starts_on' || k === 'ends_on') && typeof v === 'string') return day(v);
    if ((k === 'expires_at' || k === 'ends_at') && typeof v === 'string') return time(v);
    if (k === 'from' || k === 'to') return word('cap_state_', v);
    if (k === 'min_severity') return v ? capWord('cap_sev_', v) : t('adm_cap_f_any');
    if (k === 'min_urgency') return v ? capWord('cap_urg_', v) : t('adm_cap_f_any');
    if (k === 'min_certainty') return v ? capWord('cap_cert_', v) : t('adm_cap_f_any');
    if (k === 'code_id') return '#' + v;
    if (v !== null && typeof v === 'object') {
      const parts = Object.entries(v).map(([a, b]) => (pano.has('adm_det_' + a) ? t('adm_det_' + a) : a) + ' ' + b);
      return parts.join(', ');
    }
    return String(v);
  }

  function detail(e) {
    const d = e.detail || {};
    const shown = Object.entries(d).filter(([, v]) => v !== null && v !== '' && !(Array.isArray(v) && !v.length));
    if (!shown.length) return '';
    const dl = el('dl', { className: 'adm-detail' });
    for (const [k, v] of shown) {
      dl.append(el('dt', {}, pano.has('adm_det_' + k) ? t('adm_det_' + k) : k), el('dd', {}, shownValue(e, k, v)));
    }
    return dl;
  }

  const audit = {
    root: document.getElementById('audit'),
    form: document.getElementById('audit-filter'),
    pages: [], // before_id of each page shown, newest first ('' for the first)
    setup() {
      this.form.elements.action.append(...actions.map((a) => el('option', { value: a }, t('adm_act_' + a.replace(/\./g, '_')))));
      this.form.elements.object_type.append(...objects.map((o) => el('option', { value: o }, t('adm_obj_' + o))));
      this.form.addEventListener('submit', (ev) => { ev.preventDefault(); this.pages = ['']; this.load().catch(fail); });
      // The fields are cleared after the reset event: load once they are.
      this.form.addEventListener('reset', () => {
        this.root.querySelector('table').setAttribute('aria-busy', 'true');
        setTimeout(() => { this.pages = ['']; this.load().catch(fail); });
      });
      this.root.querySelector('.adm-older').addEventListener('click', () => { this.pages.push(this.oldest); this.load().catch(fail); });
      this.root.querySelector('.adm-newest').addEventListener('click', () => { this.pages = ['']; this.load().catch(fail); });
      this.pages = [''];
    },
    // lookup reads, once, the names of what the audit log speaks of: the
    // lists this role may read (a refused one is left out).
    looked: false,
    async lookup() {
      if (this.looked) return;
      this.looked = true;
      const get = (path) => api('GET', path).then((r) => r.data.items, () => []);
      const [us, cs, gs, ds, ps] = await Promise.all([pano.may('listUsers') ? get('/users') : [], get('/campaigns'), get('/groups'), get('/displays?brief=true'), get('/playlists?limit=500')]);
      if (us.length) userNames = new Map(us.map((x) => [x.id, x.name]));
      learn('user', [...userNames].map(([id, name]) => ({ id, name })));
      learn('campaign', cs);
      learn('theme', cs.flatMap((c) => c.themes || []), 'title');
      learn('group', gs);
      learn('display', ds);
      learn('playlist', ps);
    },
    query() {
      const f = this.form.elements;
      const q = new URLSearchParams({ limit: '50' });
      if (f.action.value) q.set('action', f.action.value);
      if (f.object_type.value) q.set('object_type', f.object_type.value);
      if (f.actor.value.trim()) q.set('actor', f.actor.value.trim());
      if (f.from.value) q.set('from', zoned(f.from.value));
      if (f.to.value) q.set('to', zoned(nextDay(f.to.value)));
      const before = this.pages[this.pages.length - 1];
      if (before) q.set('before_id', before);
      return q;
    },
    async load() {
      const q = this.query();
      const tbody = this.root.querySelector('tbody');
      const table = tbody.parentElement;
      table.setAttribute('aria-busy', 'true');
      let list;
      try {
        list = (await api('GET', '/audit?' + q)).data.items;
      } finally {
        table.setAttribute('aria-busy', 'false');
      }
      await this.lookup();
      learn('unit', units);
      // What the lists no longer hold (deleted since) is named as its
      // newest event on the page names it. A failed login's name is what
      // was typed, not the account's.
      for (const e of list) {
        const n = e.detail && (e.detail.name || e.detail.title);
        const key = nameKey(e.object_type, e.object_id);
        if (e.object_id && typeof n === 'string' && n && e.action !== 'session.fail' && !names.has(key)) names.set(key, n);
      }
      tbody.replaceChildren(...list.map((e) => {
        const who = el('td', {}, e.actor || t('adm_audit_system'));
        if (e.remote_addr) who.append(el('span', { className: 'note adm-addr' }, e.remote_addr));
        const obj = el('td', {}, e.object_id ? objectWords(e.object_type, e.object_id) : label('adm_obj_', e.object_type || ''));
        const tr = el('tr', {}, el('td', {}, time(e.at)), who, el('td', {}, label('adm_act_', e.action)), obj, el('td', {}, detail(e)));
        tr.dataset.action = e.action;
        return tr;
      }));
      finish(tbody, 5, t('adm_audit_empty'));
      this.oldest = list.length ? String(list[list.length - 1].id) : '';
      this.root.querySelector('.adm-older').hidden = list.length < 50;
      this.root.querySelector('.adm-newest').hidden = this.pages.length <= 1;
      this.root.querySelector('.adm-pageno').textContent = this.pages.length > 1 ? fill('adm_audit_page', { n: this.pages.length }) : '';
    },
  };

  // ---- Tabs --------------------------------------------------------------

  const sections = [
    { id: 'users', part: users },
    { id: 'units', part: unitsSection },
    { id: 'campaigns', part: campaigns },
    { id: 'groups', part: groups },
    { id: 'tokens', part: tokens },
    { id: 'cap', part: capFeeds },
    { id: 'settings', part: settings },
    { id: 'audit', part: audit },
  ];
  const links = [...document.querySelectorAll('#adm-tabs a')];
  const mine = sections.filter((s) => {
    const a = links.find((l) => l.getAttribute('href') === '#' + s.id);
    const ok = pano.may(a.dataset.op); // the tab's main operation, as the route table allows it
    a.hidden = !ok;
    return ok;
  });
  for (const s of mine) {
    const add = s.part.root.querySelector('.adm-add');
    if (add) add.addEventListener('click', () => s.part.add().catch(fail));
  }
  audit.setup();
  settings.setup();

  const loaded = new Set();
  async function showTab() {
    const want = location.hash.slice(1);
    const cur = mine.find((s) => s.id === want) || mine[0];
    for (const s of sections) s.part.root.hidden = s !== cur;
    for (const a of links) {
      if (a.getAttribute('href') === '#' + cur.id) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    if (!loaded.has(cur.id)) {
      loaded.add(cur.id);
      try { await cur.part.load(); } catch (err) { loaded.delete(cur.id); fail(err); }
    }
  }
  window.addEventListener('hashchange', () => { say('', ''); showTab(); });

  // A role with nothing here but its own tokens (an editor, a viewer who
  // typed the address) is told what the rest needs, in the API's words.
  if (!['listUsers', 'createCampaign', 'createGroup', 'listAudit'].some(pano.may)) {
    const box = document.getElementById('adm-refused');
    try {
      await api('GET', '/users');
    } catch (err) {
      box.textContent = t('adm_refused') + ' ' + err.message;
      box.hidden = false;
    }
  }
  await loadUnits();
  await showTab();
});
