/**
 * Calendar feed tokens, kept in one JSON file under the data dir. Only each token's sha256 is stored: the file
 * (or a backup of it) never holds a usable token. Tokens are 256 random bits, so an unsalted hash is as strong as
 * the token, and a lookup by hash compares no secret byte by byte.
 *
 * The file is read on every lookup, so a token revoked by one API instance is refused by every instance sharing
 * the data dir; writes go to a temporary file renamed over the old one, so a reader never sees half a file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** What a feed shows: the ledger's filters, fixed when the token is made. */
export interface FeedFilters {
  readonly task_id?: string;
  readonly agent_id?: string;
  readonly schedule_type?: string;
}

/** A token as listed: everything but the token itself. */
export interface FeedTokenInfo {
  readonly id: string;
  readonly label: string | null;
  readonly filters: FeedFilters;
  readonly created_at: string;
  /** The tenant that made the feed: it shows that tenant's tasks only. */
  readonly tenant?: string;
  /** Made with an admin key while tenants were on: it shows every tenant's tasks. */
  readonly admin?: boolean;
}

interface StoredToken extends FeedTokenInfo {
  /** sha256 of the token, hex. */
  readonly hash: string;
}

interface TokenFile {
  readonly version: 1;
  readonly tokens: StoredToken[];
}

export interface FeedTokenStore {
  /** Makes a token; the only time it is returned. */
  create(info: Omit<FeedTokenInfo, 'id' | 'created_at'>): Promise<FeedTokenInfo & { token: string }>;
  list(): Promise<FeedTokenInfo[]>;
  /** False when there is no such token (or it was revoked before). */
  revoke(id: string): Promise<boolean>;
  /** The token's record, or undefined for a token never made or revoked. */
  find(token: string): Promise<FeedTokenInfo | undefined>;
}

/** The store's file, in the data dir. */
export const CALENDAR_TOKENS_FILE = 'calendar-tokens.json';

/** Prefix of every feed token, so one found in a log or a URL is recognisable (and is never an API key). */
export const FEED_TOKEN_PREFIX = 'pcal_';

const hashOf = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

const infoOf = ({ hash: _hash, ...info }: StoredToken): FeedTokenInfo => info;

export function createFeedTokenStore(options: { file: string; now?: () => Date }): FeedTokenStore {
  const { file } = options;
  const now = options.now ?? (() => new Date());
  // Writes in this process one after another, each reading the file the previous one wrote.
  let writing: Promise<unknown> = Promise.resolve();

  async function load(): Promise<TokenFile> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, tokens: [] };
      throw err;
    }
    const parsed = JSON.parse(text) as Partial<TokenFile>;
    return { version: 1, tokens: Array.isArray(parsed.tokens) ? parsed.tokens : [] };
  }

  async function save(data: TokenFile): Promise<void> {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(temporary, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
    await rename(temporary, file);
  }

  function change<T>(edit: (data: TokenFile) => { data?: TokenFile; result: T }): Promise<T> {
    const next = writing.then(async () => {
      const { data, result } = edit(await load());
      if (data) await save(data);
      return result;
    });
    writing = next.catch(() => undefined);
    return next;
  }

  return {
    create(info) {
      const token = `${FEED_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
      const stored: StoredToken = {
        id: `cal_${randomBytes(8).toString('hex')}`,
        label: info.label,
        filters: info.filters,
        created_at: now().toISOString(),
        ...(info.tenant ? { tenant: info.tenant } : {}),
        ...(info.admin ? { admin: true } : {}),
        hash: hashOf(token),
      };
      return change((data) => ({
        data: { ...data, tokens: [...data.tokens, stored] },
        result: { ...infoOf(stored), token },
      }));
    },
    async list() {
      return (await load()).tokens.map(infoOf);
    },
    revoke(id) {
      return change((data) => {
        const tokens = data.tokens.filter((t) => t.id !== id);
        return tokens.length === data.tokens.length
          ? { result: false }
          : { data: { ...data, tokens }, result: true };
      });
    },
    async find(token) {
      if (!token.startsWith(FEED_TOKEN_PREFIX)) return undefined;
      const hash = hashOf(token);
      const found = (await load()).tokens.find((t) => t.hash === hash);
      return found ? infoOf(found) : undefined;
    },
  };
}
