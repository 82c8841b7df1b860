/** The user created at startup with the configured (or generated) password; it can be neither disabled nor deleted. */
export const ADMIN_USERNAME = 'admin';
