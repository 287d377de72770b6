import { useState } from 'preact/hooks';
import { useAction } from './hooks';

/**
 * "New OU" in the header (org admins: POST /org-units): the switcher lists the new OU at once,
 * and the user stays where they are until they pick it.
 */
export function NewUnit({ onCreate }: { onCreate: (name: string) => Promise<string> }) {
  const [name, setName] = useState('');
  const create = useAction();
  return (
    <details class="new-ou">
      <summary>New OU</summary>
      <form
        aria-label="Create an OU"
        onSubmit={(e) => {
          e.preventDefault();
          void create.run(async () => {
            const created = await onCreate(name.trim());
            setName('');
            return `Created ${created}: pick it in the switcher.`;
          });
        }}
      >
        <label>
          <span>Name of the new OU</span>
          <input value={name} required maxLength={200} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" disabled={create.busy || name.trim() === ''}>Create OU</button>
        {create.error && <p class="error" role="alert">{create.error}</p>}
        {create.done && <p class="note" role="status">{create.done}</p>}
      </form>
    </details>
  );
}
