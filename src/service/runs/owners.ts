import type { Queryable } from '../../db/types.ts';
import { RecipeOwnedError } from './errors.ts';

/** Who may publish a recipe id: its owner, and admin. */
interface Publisher {
  id: number;
  isAdmin: boolean;
}

/** The user owning a recipe id's published output, if anyone claimed it. */
async function recipeOwner(db: Queryable, recipeId: string): Promise<number | undefined> {
  const rows = await db.query<{ user_id: string | number }>('SELECT user_id FROM recipe_owners WHERE recipe_id = $1', [recipeId]);
  return rows[0] ? Number(rows[0].user_id) : undefined;
}

/** Refuses `user` when another user owns the recipe id (admin is never refused). */
export async function assertMayPublish(db: Queryable, recipeId: string, user: Publisher): Promise<void> {
  if (user.isAdmin) return;
  const owner = await recipeOwner(db, recipeId);
  if (owner !== undefined && owner !== user.id) throw new RecipeOwnedError(recipeId);
}

/**
 * Claims an unowned recipe id for `user`, then checks it may publish. Racing first claims of one
 * id serialise on the primary key: the loser's insert waits, does nothing, and then sees the
 * winner's row. Admin publishing another user's recipe leaves the owner unchanged.
 */
export async function claimRecipe(db: Queryable, recipeId: string, user: Publisher): Promise<void> {
  await db.query('INSERT INTO recipe_owners (recipe_id, user_id) VALUES ($1, $2) ON CONFLICT (recipe_id) DO NOTHING', [recipeId, user.id]);
  await assertMayPublish(db, recipeId, user);
}
